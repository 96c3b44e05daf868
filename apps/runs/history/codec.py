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
"""

from __future__ import annotations

import json
import math
import operator
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from apps.core.csv import formula_safe

__all__ = [
    "Column",
    "DecodedChunk",
    "EncodedChunk",
    "RecordError",
    "chunk_keys",
    "decode_chunk",
    "encode_chunk",
    "export_csv",
    "export_jsonl",
    "merge_rows",
]

FORMAT_VERSION = 1
MAX_KEY_LENGTH = 256
MAX_VALUE_BYTES = 64 * 1024
MAX_DEPTH = 16
# Level 1: on shuffled float64 it compresses within 1% of level 6 at half the time.
ZLIB_LEVEL = 1

_KINDS = {"history": 0, "system": 1, "console": 2}
_KIND_NAMES = {v: k for k, v in _KINDS.items()}
_HEADER = struct.Struct("<BBHIIIII")
_ENTRY = struct.Struct("<BBIII")
_NAME_SIZE = struct.Struct("<H")
_ARITH = struct.Struct("<qq")
_RAW, _DEFLATE, _ARITHMETIC, _PLANES = 0, 1, 2, 3
_PLANE = struct.Struct("<BI")
_PROBE = 1024
_NUMERIC, _JSON = 0, 1
_SPARSE, _INTEGER, _NAN_JSON = 1, 2, 4
_CONSOLE_STREAMS = ("stdout", "stderr")
_NUMBER_TYPES = {int, float}
_SCALAR_TYPES = {str, int, float, bool, type(None)}
# No character takes more than 4 UTF-8 bytes: shorter strings need no size check.
_SAFE_STR_LEN = MAX_VALUE_BYTES // 4
_MAX_EXACT_INT = 2**53

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]


class _Missing:
    __slots__ = ()


_MISSING: Any = _Missing()


class RecordError(ValueError):
    """A record of the batch is invalid; the whole batch is refused."""

    def __init__(self, field: str, message: str) -> None:
        # args[0] is the message alone: a caller that renumbers `field` (a batch's
        # tail re-encoded) must not find the old index in the text.
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass
class EncodedChunk:
    payload: bytes
    row_count: int
    first_offset: int
    step_min: int
    step_max: int
    time_max: float
    keys: list[str]
    # Every number of a key (also those of a key that holds other values too), for
    # the summaries.
    numeric: dict[str, tuple[Int64Array, Float64Array]] = field(default_factory=dict)
    last_values: dict[str, Any] = field(default_factory=dict)
    key_counts: dict[str, int] = field(default_factory=dict)  # rows holding each key


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


# -- encoding ---------------------------------------------------------------------


def encode_chunk(records: list[Any], *, stream: str, first_offset: int) -> EncodedChunk:
    """Validate a batch of parsed JSON records and encode it as one chunk payload."""
    if stream not in _KINDS:
        raise ValueError(f"unknown stream {stream!r}")
    if type(records) is not list:
        raise RecordError("records", "must be a list")
    if not records:
        raise ValueError("an empty batch has no chunk")
    if set(map(type, records)) != {dict}:
        i = next(i for i, r in enumerate(records) if type(r) is not dict)
        raise RecordError(f"records[{i}]", "must be an object")
    if stream == "console":
        return _encode_console(records, first_offset)
    return _encode_rows(records, stream, first_offset)


def _encode_rows(records: list[dict[str, Any]], stream: str, first_offset: int) -> EncodedChunk:
    n = len(records)
    steps = _steps_of(records, first_offset, required=stream == "history")
    times = _times_of(records)
    datas = [r.get("data", _MISSING) for r in records]
    if set(map(type, datas)) != {dict}:
        i = next(i for i, d in enumerate(datas) if type(d) is not dict)
        raise RecordError(f"records[{i}].data", "is required, an object")
    keys = list(datas[0])
    union = set().union(*datas)  # in C; first-seen order only when rows differ
    if len(union) != len(keys):
        keys = list(dict.fromkeys(chain.from_iterable(datas)))
    for key in keys:
        _check_key(key, datas)

    entries: list[bytes] = []
    segments: list[bytes] = [_encode_steps(steps), _encode_times(times)]
    chunk = EncodedChunk(
        payload=b"",
        row_count=n,
        first_offset=first_offset,
        step_min=int(steps.min()),
        step_max=int(steps.max()),
        time_max=float(times.max()),
        keys=keys,
    )
    for key in keys:
        try:
            col = list(map(operator.itemgetter(key), datas))
            rows = None
        except KeyError:
            col = [d.get(key, _MISSING) for d in datas]
            rows = np.flatnonzero([v is not _MISSING for v in col])
            col = [v for v in col if v is not _MISSING]
        key_steps = steps if rows is None else steps[rows]
        types = set(map(type, col))
        flags = 0 if rows is None else _SPARSE
        rows_seg = b"" if rows is None else _encode_rows_bitmap(rows, n)
        if types <= _NUMBER_TYPES:
            values = _numeric_values(col, key, rows)
            if types == {int} and np.abs(values).max() <= _MAX_EXACT_INT:
                flags |= _INTEGER
            kind = _NUMERIC
            values_seg = _shuffle(values)
            chunk.numeric[key] = (key_steps, values)
        else:
            text, nan_aware = _json_column(col, types, key, rows)
            kind = _JSON
            flags |= _NAN_JSON if nan_aware else 0
            values_seg = _pack(text)
            if types & _NUMBER_TYPES:
                numbers = _numbers_in(col)
                if numbers:
                    idx = np.fromiter(numbers, np.int64, len(numbers))
                    vals = np.array([col[i] for i in numbers], dtype=np.float64)
                    chunk.numeric[key] = (key_steps[idx], vals)
        chunk.last_values[key] = col[-1]
        chunk.key_counts[key] = len(col)
        name = key.encode("utf-8")
        entries.append(
            _NAME_SIZE.pack(len(name))
            + name
            + _ENTRY.pack(kind, flags, len(col), len(rows_seg), len(values_seg))
        )
        if rows_seg:
            segments.append(rows_seg)
        segments.append(values_seg)

    index = b"".join(entries)
    header = _HEADER.pack(
        FORMAT_VERSION,
        _KINDS[stream],
        0,
        n,
        len(keys),
        len(segments[0]),
        len(segments[1]),
        len(index),
    )
    chunk.payload = b"".join([header, index, *segments])
    return chunk


def _steps_of(records: list[dict[str, Any]], first_offset: int, *, required: bool) -> Int64Array:
    n = len(records)
    raw = [r.get("step", _MISSING) for r in records]
    types = set(map(type, raw))
    if not required and types == {_Missing}:
        return np.arange(first_offset, first_offset + n, dtype=np.int64)
    if types != {int}:
        for i, v in enumerate(raw):
            if v is _MISSING:
                if required:
                    raise RecordError(f"records[{i}].step", "is required")
                raw[i] = first_offset + i
            elif type(v) is bool:
                raise RecordError(f"records[{i}].step", "must be an integer, not a boolean")
            elif type(v) is not int:
                raise RecordError(f"records[{i}].step", "must be an integer")
    try:
        steps = np.array(raw, dtype=np.int64)
    except OverflowError:
        i, v = next((i, v) for i, v in enumerate(raw) if not -(2**63) <= v < 2**63)
        message = "must be >= 0" if v < 0 else "must be less than 2**63"
        raise RecordError(f"records[{i}].step", message) from None
    if steps.min() < 0:
        raise RecordError(f"records[{int(np.argmax(steps < 0))}].step", "must be >= 0")
    return steps


def _times_of(records: list[dict[str, Any]]) -> Float64Array:
    raw = [r.get("time", _MISSING) for r in records]
    if not set(map(type, raw)) <= _NUMBER_TYPES:
        for i, v in enumerate(raw):
            if v is _MISSING:
                raise RecordError(f"records[{i}].time", "is required")
            if type(v) not in _NUMBER_TYPES:
                raise RecordError(f"records[{i}].time", "must be a number")
    try:
        times = np.array(raw, dtype=np.float64)
    except OverflowError:
        times = np.array([_float_or_inf(v) for v in raw], dtype=np.float64)
    finite = np.isfinite(times)
    if not finite.all():
        raise RecordError(f"records[{int(np.argmin(finite))}].time", "must be a finite number")
    return times


def _float_or_inf(v: float) -> float:
    try:
        return float(v)
    except OverflowError:
        return math.inf


def _check_key(key: Any, datas: list[dict[str, Any]]) -> None:
    if type(key) is str and 0 < len(key) <= MAX_KEY_LENGTH and "\x00" not in key:
        try:
            key.encode("utf-8")
            return
        except UnicodeEncodeError:
            problem = f"key {key!r} is not valid Unicode text"
    elif type(key) is not str:
        problem = f"keys must be strings, not {type(key).__name__}"
    elif not key:
        problem = "keys must not be empty"
    elif "\x00" in key:
        problem = f"key {key!r} holds a NUL character"
    else:
        problem = f"key {key[:40]!r}... is longer than {MAX_KEY_LENGTH} characters"
    i = next(i for i, d in enumerate(datas) if key in d)
    raise RecordError(f"records[{i}].data", problem)


def _row_field(key: str, rows: Int64Array | None, pos: int) -> str:
    row = pos if rows is None else int(rows[pos])
    return f"records[{row}].data.{key}"


def _numeric_values(col: list[Any], key: str, rows: Int64Array | None) -> Float64Array:
    try:
        return np.array(col, dtype=np.float64)
    except OverflowError:
        for pos, v in enumerate(col):
            try:
                float(v)
            except OverflowError:
                raise RecordError(
                    _row_field(key, rows, pos), "is too large for a float64"
                ) from None
        raise


def _numbers_in(col: list[Any]) -> list[int]:
    out = []
    for i, v in enumerate(col):
        if type(v) in _NUMBER_TYPES:
            try:
                float(v)
            except OverflowError:
                continue  # kept in the JSON column, left out of the chart
            out.append(i)
    return out


def _json_column(
    col: list[Any], types: set[type], key: str, rows: Int64Array | None
) -> tuple[bytes, bool]:
    """The column as one JSON array; True when it needs a parser that reads NaN."""
    if types <= _SCALAR_TYPES:
        if str in types:
            for pos, v in enumerate(col):
                if type(v) is str and len(v) > _SAFE_STR_LEN:
                    _check_str(v, _row_field(key, rows, pos))
        finite = float not in types or all(math.isfinite(v) for v in col if type(v) is float)
        if finite:
            try:
                return orjson.dumps(col), False
            except orjson.JSONEncodeError:
                pass  # lone surrogates or ints beyond 64 bits: the careful path finds out
    parts = [_dump_value(v, _row_field(key, rows, pos)) for pos, v in enumerate(col)]
    return ("[" + ",".join(parts) + "]").encode("utf-8"), True


def _check_str(s: str, where: str) -> int:
    try:
        size = len(s.encode("utf-8"))
    except UnicodeEncodeError:
        raise RecordError(where, "is not valid Unicode text (a lone surrogate)") from None
    if size > MAX_VALUE_BYTES:
        raise RecordError(where, f"is longer than {MAX_VALUE_BYTES} bytes")
    return size


def _dump_value(v: Any, where: str) -> str:
    problem = _json_problem(v, 1)
    if problem:
        raise RecordError(where, problem)
    if type(v) is str:
        _check_str(v, where)
    text = json.dumps(v, ensure_ascii=False, allow_nan=True, separators=(",", ":"))
    if type(v) is not str:
        _check_str(text, where)  # the size of an object or list is that of its JSON
    return text


def _json_problem(v: Any, depth: int) -> str | None:
    t = type(v)
    if t in _SCALAR_TYPES:
        return None
    if t is dict or t is list:
        if depth > MAX_DEPTH:
            return f"is nested deeper than {MAX_DEPTH} levels"
        if t is dict:
            for k in v:
                if type(k) is not str:
                    return "object keys must be strings"
            items = v.values()
        else:
            items = v
        for item in items:
            problem = _json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return f"has a value of unsupported type {t.__name__}"


def _encode_console(records: list[dict[str, Any]], first_offset: int) -> EncodedChunk:
    times = _times_of(records)
    streams = [r.get("stream", _MISSING) for r in records]
    bad = [i for i, s in enumerate(streams) if type(s) is not str or s not in _CONSOLE_STREAMS]
    if bad:
        i = bad[0]
        raise RecordError(f"records[{i}].stream", 'must be "stdout" or "stderr"')
    lines = [r.get("line", _MISSING) for r in records]
    for i, line in enumerate(lines):
        if type(line) is not str:
            raise RecordError(f"records[{i}].line", "is required, a string")
        if len(line) > _SAFE_STR_LEN:
            _check_str(line, f"records[{i}].line")
    try:
        text = orjson.dumps(list(zip(times.tolist(), streams, lines)))
    except orjson.JSONEncodeError:
        for i, line in enumerate(lines):
            _check_str(line, f"records[{i}].line")
        raise
    n = len(records)
    header = _HEADER.pack(FORMAT_VERSION, _KINDS["console"], 0, n, 0, 0, 0, 0)
    return EncodedChunk(
        payload=header + _pack(text),
        row_count=n,
        first_offset=first_offset,
        step_min=first_offset,
        step_max=first_offset + n - 1,
        time_max=float(times.max()),
        keys=[],
    )


def _pack(data: bytes) -> bytes:
    packed = zlib.compress(data, ZLIB_LEVEL, -15)
    if len(packed) < len(data):
        return bytes((_DEFLATE,)) + packed
    return bytes((_RAW,)) + data


def _shuffle(a: npt.NDArray[Any]) -> bytes:
    """Pack a 64-bit array, its bytes grouped by significance (exponents compress)."""
    planes = np.ascontiguousarray(a.view(np.uint8).reshape(-1, 8).T)
    if len(a) < 4 * _PROBE:
        return _pack(planes.tobytes())
    parts = [bytes((_PLANES,))]
    for plane in planes:
        raw = plane.tobytes()
        # A plane of noise does not compress: deflating it costs most of the time.
        if len(zlib.compress(raw[:_PROBE], ZLIB_LEVEL, -15)) > 0.9 * _PROBE:
            packed, codec = raw, _RAW
        else:
            packed, codec = zlib.compress(raw, ZLIB_LEVEL, -15), _DEFLATE
            if len(packed) >= len(raw):
                packed, codec = raw, _RAW
        parts.append(_PLANE.pack(codec, len(packed)))
        parts.append(packed)
    return b"".join(parts)


def _encode_steps(steps: Int64Array) -> bytes:
    stride = int(steps[1] - steps[0]) if len(steps) > 1 else 0
    if (np.diff(steps) == stride).all():
        # The common case (0, 1, 2, ... or offsets): 17 bytes whatever the length.
        return bytes((_ARITHMETIC,)) + _ARITH.pack(int(steps[0]), stride)
    deltas = np.empty_like(steps)
    deltas[0] = steps[0]
    np.subtract(steps[1:], steps[:-1], out=deltas[1:])  # steps >= 0: no overflow
    return _shuffle(deltas)


def _encode_times(times: Float64Array) -> bytes:
    # Deltas of the bit patterns, wrapping: exact, and small for close times.
    bits = times.view(np.uint64)
    deltas = np.empty_like(bits)
    deltas[0] = bits[0]
    np.subtract(bits[1:], bits[:-1], out=deltas[1:])
    return _shuffle(deltas)


def _encode_rows_bitmap(rows: Int64Array, n: int) -> bytes:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return _pack(np.packbits(mask, bitorder="little").tobytes())


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


# -- export -----------------------------------------------------------------------

_NONFINITE = {"nan": b"NaN", "inf": b"Infinity", "-inf": b"-Infinity"}
_OPT_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def _numeric_tokens(
    values: Float64Array, *, integer: bool = False, prefix: bytes = b""
) -> list[bytes]:
    """Each value as JSON text, `prefix` before each; non-finite as NaN, Infinity, -Infinity.

    orjson writes the shortest text that reads back as the same float64, ten times
    faster than repr; the prefix goes in with one replace and one split, in C.
    """
    if not len(values):
        return []
    array = values.astype(np.int64) if integer else np.ascontiguousarray(values)
    text = orjson.dumps(array, option=_OPT_NUMPY)[1:-1]
    tokens = (prefix + text.replace(b",", b"\n" + prefix)).split(b"\n")
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        tokens[i] = prefix + _NONFINITE[repr(float(values[i]))]
    return tokens


def _json_token(v: Any) -> bytes:
    if type(v) is float and not math.isfinite(v):
        return _NONFINITE[repr(v)]
    return json.dumps(v, ensure_ascii=False, allow_nan=True, separators=(",", ":")).encode("utf-8")


def _csv_quote(s: str) -> str:
    if any(c in s for c in ',"\r\n') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def _csv_token(v: Any) -> bytes:
    if v is None:
        return b""
    if type(v) is str:
        return _csv_quote(formula_safe(v)).encode("utf-8")
    return _csv_quote(_json_token(v).decode("utf-8")).encode("utf-8")


def _rows_text(chunk: DecodedChunk, keys: Sequence[str], *, csv: bool) -> bytes:
    """The chunk's rows, one line per row holding any of `keys`.

    Per-value Python work is what makes an export slow, so every token carries its
    own separator, the columns are interleaved by slice assignment and the whole
    chunk is joined once, all in C.
    """
    n = chunk.row_count
    columns = [
        _numeric_tokens(
            chunk.steps.astype(np.float64), integer=True, prefix=b"" if csv else b'{"step":'
        ),
        _numeric_tokens(chunk.times, prefix=b"," if csv else b',"time":'),
    ]
    missing = b"," if csv else b""
    any_row = np.zeros(n, dtype=bool)
    dense = False
    for key in keys:
        col = chunk.columns.get(key)
        if col is None:
            if csv:
                columns.append([missing] * n)
            continue
        prefix = b"," if csv else b"," + json.dumps(key, ensure_ascii=False).encode("utf-8") + b":"
        if isinstance(col.values, np.ndarray):
            tokens = _numeric_tokens(col.values, integer=col.integer, prefix=prefix)
        else:
            tokens = [prefix + (_csv_token if csv else _json_token)(v) for v in col.values]
        if len(col.rows) == n:
            dense = True
            columns.append(tokens)
            continue
        any_row[col.rows] = True
        full = [missing] * n
        for r, t in zip(col.rows.tolist(), tokens):
            full[r] = t
        columns.append(full)
    columns.append([b"\n" if csv else b"}\n"] * n)
    if not dense:
        rows = np.flatnonzero(any_row).tolist()
        columns = [[c[i] for i in rows] for c in columns]
        n = len(rows)
    width = len(columns)
    flat = [b""] * (n * width)
    for j, c in enumerate(columns):
        flat[j::width] = c
    return b"".join(flat)


def export_jsonl(chunks: Iterable[bytes], keys: Sequence[str] | None = None) -> Iterator[bytes]:
    """JSON lines, one per row holding any of `keys` (default: every key of its chunk).

    Rows come in chunk (offset) order. Non-finite numbers are written as the bare
    tokens NaN, Infinity and -Infinity, as Python's json module does.
    """
    for payload in chunks:
        chunk = decode_chunk(payload, keys)
        text = _rows_text(chunk, list(chunk.columns) if keys is None else keys, csv=False)
        if text:
            yield text


def export_csv(chunks: Iterable[bytes], keys: Sequence[str]) -> Iterator[bytes]:
    """CSV with a header `step,time,<keys>`; a missing value is an empty cell.

    Numbers as in JSON (NaN, Infinity, -Infinity included), strings as they are
    (quoted when needed), null as an empty cell, other values as JSON text.
    """
    yield (",".join(["step", "time", *map(_csv_quote, keys)]) + "\n").encode("utf-8")
    for payload in chunks:
        text = _rows_text(decode_chunk(payload, keys), keys, csv=True)
        if text:
            yield text
