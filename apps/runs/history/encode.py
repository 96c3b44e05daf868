"""Encoding: a batch of records validated and written as one chunk payload (layout in `codec`)."""

from __future__ import annotations

import json
import math
import operator
import zlib
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from apps.runs.history.codec import (
    _ARITH,
    _ARITHMETIC,
    _DEFLATE,
    _ENTRY,
    _HEADER,
    _INTEGER,
    _JSON,
    _KINDS,
    _NAME_SIZE,
    _NAN_JSON,
    _NUMERIC,
    _PLANE,
    _PLANES,
    _RAW,
    _SPARSE,
    FORMAT_VERSION,
    Float64Array,
    Int64Array,
)

__all__ = ["EncodedChunk", "RecordError", "encode_chunk"]

MAX_KEY_LENGTH = 256
MAX_VALUE_BYTES = 64 * 1024
MAX_DEPTH = 16
# Level 1: on shuffled float64 it compresses within 1% of level 6 at half the time.
ZLIB_LEVEL = 1

_PROBE = 1024
_CONSOLE_STREAMS = ("stdout", "stderr")
_NUMBER_TYPES = {int, float}
_SCALAR_TYPES = {str, int, float, bool, type(None)}
# No character takes more than 4 UTF-8 bytes: shorter strings need no size check.
_SAFE_STR_LEN = MAX_VALUE_BYTES // 4
_MAX_EXACT_INT = 2**53


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
