"""Chunk codec: one appended batch of a run's stream as one compressed, columnar payload.

Payload layout (little-endian), format version 1::

    header   "<BBHIIIII": version=1, kind (0 history, 1 system, 2 console), flags=0,
             row_count, n_columns, steps_size, times_size, index_size
    index    n_columns entries: u16 name_size, name (UTF-8), "<BBIII": type
             (0 float64, 1 JSON), flags (1 sparse, 2 integer-valued, 4 JSON needs a
             NaN-aware parser), present, rows_size, values_size
    segments steps, times, then per column [rows if sparse] values

Every segment starts with a codec byte: 0 raw, 1 raw deflate (zlib, wbits -15),
2 arithmetic progression ("<qq" start, stride; steps only), 3 byte planes (the
eight planes of a shuffled array, each "<BI" codec 0 or 1 and size, then its
bytes: noisy low mantissa bytes are stored raw, not deflated in vain). Before compression
steps are int64 deltas, times are the deltas of their float64 bit patterns (mod
2**64, so exact), and both, like numeric values, are byte-shuffled (the bytes of
each float64 grouped by significance: exponents compress, noisy mantissas don't).
Rows are a bitmap of row_count bits. JSON values are one UTF-8 JSON array. A
console chunk has no steps, times or columns: one segment, a JSON array of
[time, stream, line].

This module holds the layout and reads it; `encode` writes it, `export` turns
chunks into text.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

__all__ = [
    "Column",
    "DecodedChunk",
    "chunk_keys",
    "decode_chunk",
    "merge_rows",
]

FORMAT_VERSION = 1

_KINDS = {"history": 0, "system": 1, "console": 2}
_KIND_NAMES = {v: k for k, v in _KINDS.items()}
_HEADER = struct.Struct("<BBHIIIII")
_ENTRY = struct.Struct("<BBIII")
_NAME_SIZE = struct.Struct("<H")
_ARITH = struct.Struct("<qq")
_RAW, _DEFLATE, _ARITHMETIC, _PLANES = 0, 1, 2, 3
_PLANE = struct.Struct("<BI")
_NUMERIC, _JSON = 0, 1
_SPARSE, _INTEGER, _NAN_JSON = 1, 2, 4

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]


@dataclass
class Column:
    rows: Int64Array
    values: Float64Array | list[Any]
    numeric: bool
    integer: bool = False  # numeric and every value was an int: export writes ints


@dataclass
class DecodedChunk:
    kind: str
    row_count: int
    steps: Int64Array  # for console: row positions within the chunk
    times: Float64Array
    columns: dict[str, Column] = field(default_factory=dict)
    lines: list[tuple[float, str, str]] = field(default_factory=list)


# -- decoding ---------------------------------------------------------------------


@dataclass
class _Entry:
    name: str
    kind: int
    flags: int
    present: int
    rows_at: int
    rows_size: int
    values_at: int
    values_size: int


@dataclass
class _Layout:
    kind: int
    row_count: int
    steps_at: int
    steps_size: int
    times_at: int
    times_size: int
    entries: list[_Entry]
    end: int


def _layout(payload: bytes) -> _Layout:
    if not payload or payload[0] != FORMAT_VERSION:
        raise ValueError(f"unknown chunk format {payload[:1]!r}")
    _, kind, _, n, ncols, steps_size, times_size, index_size = _HEADER.unpack_from(payload)
    pos = _HEADER.size
    at = pos + index_size
    steps_at, at = at, at + steps_size
    times_at, at = at, at + times_size
    entries = []
    for _ in range(ncols):
        (name_size,) = _NAME_SIZE.unpack_from(payload, pos)
        pos += _NAME_SIZE.size
        name = payload[pos : pos + name_size].decode("utf-8")
        pos += name_size
        ckind, flags, present, rows_size, values_size = _ENTRY.unpack_from(payload, pos)
        pos += _ENTRY.size
        entries.append(
            _Entry(name, ckind, flags, present, at, rows_size, at + rows_size, values_size)
        )
        at += rows_size + values_size
    return _Layout(kind, n, steps_at, steps_size, times_at, times_size, entries, at)


def chunk_keys(payload: bytes) -> list[str]:
    """The keys of a chunk, read from its index alone."""
    return [e.name for e in _layout(payload).entries]


def decode_chunk(payload: bytes, keys: Iterable[str] | None = None) -> DecodedChunk:
    """Decode a chunk; with `keys`, only those columns are decompressed."""
    lay = _layout(payload)
    n = lay.row_count
    view = memoryview(payload)
    if lay.kind == _KINDS["console"]:
        lines = [(t, s, line) for t, s, line in orjson.loads(_unpack(view[lay.end :]))]
        times = np.array([t for t, _, _ in lines], dtype=np.float64).reshape(-1)
        return DecodedChunk("console", n, np.arange(n, dtype=np.int64), times, lines=lines)
    steps = _decode_steps(view[lay.steps_at : lay.steps_at + lay.steps_size], n)
    times_bits = _unshuffle(_unpack(view[lay.times_at : lay.times_at + lay.times_size]), np.uint64)
    times = np.cumsum(times_bits, dtype=np.uint64).view(np.float64)
    wanted = None if keys is None else set(keys)
    columns: dict[str, Column] = {}
    for e in lay.entries:
        if wanted is not None and e.name not in wanted:
            continue
        if e.flags & _SPARSE:
            bits = np.frombuffer(_unpack(view[e.rows_at : e.values_at]), dtype=np.uint8)
            rows = np.flatnonzero(np.unpackbits(bits, count=n, bitorder="little")).astype(np.int64)
        else:
            rows = np.arange(n, dtype=np.int64)
        raw = _unpack(view[e.values_at : e.values_at + e.values_size])
        if e.kind == _NUMERIC:
            columns[e.name] = Column(
                rows, _unshuffle(raw, np.float64), True, bool(e.flags & _INTEGER)
            )
        else:
            values = json.loads(raw) if e.flags & _NAN_JSON else orjson.loads(raw)
            columns[e.name] = Column(rows, values, False)
    return DecodedChunk(_KIND_NAMES[lay.kind], n, steps, times, columns)


def _unpack(seg: memoryview) -> bytes:
    if seg[0] == _PLANES:
        parts: list[bytes | memoryview] = []
        at = 1
        for _ in range(8):
            codec, size = _PLANE.unpack_from(seg, at)
            at += _PLANE.size
            plane = seg[at : at + size]
            parts.append(zlib.decompress(plane, -15) if codec == _DEFLATE else plane)
            at += size
        return b"".join(parts)
    if seg[0] == _DEFLATE:
        return zlib.decompress(seg[1:], -15)
    if seg[0] == _RAW:
        return bytes(seg[1:])
    raise ValueError(f"unknown segment codec {seg[0]}")


def _unshuffle(raw: bytes, dtype: type[np.generic]) -> Any:
    planes = np.frombuffer(raw, dtype=np.uint8).reshape(8, -1)
    return np.ascontiguousarray(planes.T).view(dtype).reshape(-1)


def _decode_steps(seg: memoryview, n: int) -> Int64Array:
    if seg[0] == _ARITHMETIC:
        start, stride = _ARITH.unpack_from(seg, 1)
        return np.arange(n, dtype=np.int64) * np.int64(stride) + np.int64(start)
    deltas: Int64Array = _unshuffle(_unpack(seg), np.int64)
    return np.cumsum(deltas, dtype=np.int64)


def merge_rows(chunks: Iterable[DecodedChunk], keys: Sequence[str]) -> DecodedChunk:
    """Concatenate decoded chunks (in offset order) into one, for reads across chunks.

    A key numeric in every chunk stays a float64 column; otherwise its values become
    a list of Python values (floats for the numeric parts).
    """
    chunks = list(chunks)
    kind = chunks[0].kind if chunks else "history"
    bases = np.cumsum([0] + [c.row_count for c in chunks])
    columns: dict[str, Column] = {}
    for key in keys:
        parts = [(int(base), c.columns[key]) for base, c in zip(bases, chunks) if key in c.columns]
        if not parts:
            continue
        rows = np.concatenate([col.rows + base for base, col in parts])
        if all(col.numeric for _, col in parts):
            values: Float64Array | list[Any] = np.concatenate(
                [np.asarray(col.values, dtype=np.float64) for _, col in parts]
            )
            integer = all(col.integer for _, col in parts)
            columns[key] = Column(rows, values, True, integer)
        else:
            merged: list[Any] = []
            for _, col in parts:
                merged.extend(
                    col.values.tolist() if isinstance(col.values, np.ndarray) else col.values
                )
            columns[key] = Column(rows, merged, False)
    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0, dtype=np.float64)
    return DecodedChunk(
        kind,
        int(bases[-1]),
        np.concatenate([c.steps for c in chunks]) if chunks else empty_i,
        np.concatenate([c.times for c in chunks]) if chunks else empty_f,
        columns,
        [line for c in chunks for line in c.lines],
    )
