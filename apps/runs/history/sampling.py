"""Downsampled, fixed-size summaries of numeric series, and downsampling of raw points.

A chart read costs the same for a run of 1,000 steps and one of 10,000,000: it
reads one SeriesSummary (at most CAPACITY buckets) instead of the run's points.

Summary bytes, format version 1: header "<BBHQqq" (version, log2 of the bucket
width, occupied buckets, total count, min step, max step), then a raw deflate
(zlib, wbits -15) of: a bitmap of the occupied buckets (CAPACITY bits, little
bit order), then for the occupied buckets in order, byte-shuffled together as
eight int64/float64 arrays: count, finite count, first step and last step (as
offsets from the bucket's start), sum of finite values, min, max, last value.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["CAPACITY", "Sampled", "SeriesSummary", "downsample_raw"]

CAPACITY = 1024
FORMAT_VERSION = 1

_HEADER = struct.Struct("<BBHQqq")
_NO_FIRST = np.iinfo(np.int64).max
_NO_LAST = -1

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]


@dataclass
class Sampled:
    steps: list[int]  # each point's first step
    # A point of one step: the value logged last there (a step logged twice is
    # not the mean of two values nobody logged together). A point of several
    # steps: the mean of its finite values; else its last value (nan, ±inf).
    values: list[float]
    min: list[float]
    max: list[float]
    sampled: bool  # False when every point is exactly one logged value
    count: int  # values the points stand for


class SeriesSummary:
    """At most CAPACITY buckets of `width` consecutive steps each, width a power of two.

    Bucket i covers steps [i * width, (i + 1) * width). A step past the last bucket
    doubles the width (merging neighbour pairs) until it fits, so an update costs
    O(batch + CAPACITY) whatever the run's length. Steps may come in any order and
    repeat (a resumed run logs some steps again): every value is accumulated, and a
    point of one step shows the value that arrived last there (see Sampled).
    """

    __slots__ = (
        "shift",
        "count",
        "min_step",
        "max_step",
        "counts",
        "finite",
        "sums",
        "mins",
        "maxs",
        "firsts",
        "lasts",
        "last_values",
    )

    def __init__(self) -> None:
        self.shift = 0
        self.count = 0
        self.min_step: int | None = None
        self.max_step: int | None = None
        self.counts: Int64Array = np.zeros(CAPACITY, dtype=np.int64)
        self.finite: Int64Array = np.zeros(CAPACITY, dtype=np.int64)
        self.sums: Float64Array = np.zeros(CAPACITY, dtype=np.float64)
        # NaN = no non-NaN value yet; np.fmin/np.fmax skip it.
        self.mins: Float64Array = np.full(CAPACITY, np.nan)
        self.maxs: Float64Array = np.full(CAPACITY, np.nan)
        self.firsts: Int64Array = np.full(CAPACITY, _NO_FIRST, dtype=np.int64)
        self.lasts: Int64Array = np.full(CAPACITY, _NO_LAST, dtype=np.int64)
        self.last_values: Float64Array = np.full(CAPACITY, np.nan)

    @property
    def width(self) -> int:
        return 1 << self.shift

    def update(self, steps: npt.ArrayLike, values: npt.ArrayLike) -> None:
        steps = np.asarray(steps, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64)
        if steps.ndim != 1 or steps.shape != values.shape:
            raise ValueError("steps and values must be 1-d arrays of the same length")
        if not len(steps):
            return
        steps, values = _sorted(steps, values)
        if steps[0] < 0:
            raise ValueError("steps must be >= 0")
        self._fit(int(steps[-1]))
        b = steps >> self.shift
        starts = _group_starts(b)
        g = _reduce(steps, values, starts)
        ub = b[starts]
        self.counts[ub] += g.counts
        self.finite[ub] += g.finite
        self.sums[ub] += g.sums
        self.mins[ub] = np.fmin(self.mins[ub], g.mins)
        self.maxs[ub] = np.fmax(self.maxs[ub], g.maxs)
        self.firsts[ub] = np.minimum(self.firsts[ub], g.firsts)
        later = g.lasts >= self.lasts[ub]  # ties: the later arrival wins
        self.last_values[ub] = np.where(later, g.last_values, self.last_values[ub])
        self.lasts[ub] = np.maximum(self.lasts[ub], g.lasts)
        self.count += len(steps)
        lo, hi = int(steps[0]), int(steps[-1])
        self.min_step = lo if self.min_step is None else min(self.min_step, lo)
        self.max_step = hi if self.max_step is None else max(self.max_step, hi)

    def _fit(self, step: int) -> None:
        while step >> self.shift >= CAPACITY:
            occupied = np.flatnonzero(self.counts)
            if len(occupied) and occupied[-1] == 0:
                # Everything is in bucket 0 already: folding further changes nothing.
                self.shift = max(self.shift, (step // CAPACITY).bit_length())
                continue
            self._fold()

    def _fold(self) -> None:
        """Double the width: bucket i becomes the merge of buckets 2i and 2i + 1."""
        half = CAPACITY // 2

        def pairs(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return a.reshape(half, 2)

        def widen(a: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
            return np.concatenate([a, np.full(half, fill, dtype=a.dtype)])

        right = pairs(self.counts)[:, 1] > 0
        self.last_values = widen(
            np.where(right, pairs(self.last_values)[:, 1], pairs(self.last_values)[:, 0]), np.nan
        )
        self.counts = widen(pairs(self.counts).sum(axis=1), 0)
        self.finite = widen(pairs(self.finite).sum(axis=1), 0)
        self.sums = widen(pairs(self.sums).sum(axis=1), 0.0)
        self.mins = widen(np.fmin(*pairs(self.mins).T), np.nan)
        self.maxs = widen(np.fmax(*pairs(self.maxs).T), np.nan)
        self.firsts = widen(pairs(self.firsts).min(axis=1), _NO_FIRST)
        self.lasts = widen(pairs(self.lasts).max(axis=1), _NO_LAST)
        self.shift += 1

    def _occupied(self, min_step: int | None, max_step: int | None) -> Int64Array:
        mask = self.counts > 0
        if min_step is not None:
            mask &= self.lasts >= min_step
        if max_step is not None:
            mask &= self.firsts <= max_step
        return np.flatnonzero(mask)

    def resolution_in(self, min_step: int | None = None, max_step: int | None = None) -> int:
        """Occupied buckets in the step range: too few for a deep zoom means read raw chunks."""
        return len(self._occupied(min_step, max_step))

    def sample(
        self, samples: int = 1000, min_step: int | None = None, max_step: int | None = None
    ) -> Sampled:
        """At most `samples` points for the occupied buckets overlapping [min_step, max_step].

        A bucket overlapping the range counts whole: its values can't be split.
        """
        idx = self._occupied(min_step, max_step)
        g = _Groups(
            self.counts[idx],
            self.finite[idx],
            self.sums[idx],
            self.mins[idx],
            self.maxs[idx],
            self.firsts[idx],
            self.lasts[idx],
            self.last_values[idx],
        )
        return _finish(g, samples, exact=self.shift == 0)

    def to_bytes(self) -> bytes:
        idx = np.flatnonzero(self.counts)
        start = idx << self.shift
        body = np.concatenate(
            [
                self.counts[idx],
                self.finite[idx],
                self.firsts[idx] - start,
                self.lasts[idx] - start,
                self.sums[idx].view(np.int64),
                self.mins[idx].view(np.int64),
                self.maxs[idx].view(np.int64),
                self.last_values[idx].view(np.int64),
            ]
        )
        shuffled = np.ascontiguousarray(body.view(np.uint8).reshape(-1, 8).T).tobytes()
        bitmap = np.packbits(self.counts > 0, bitorder="little").tobytes()
        header = _HEADER.pack(
            FORMAT_VERSION,
            self.shift,
            len(idx),
            self.count,
            self.min_step or 0,
            self.max_step or 0,
        )
        return header + zlib.compress(bitmap + shuffled, 1, -15)

    @classmethod
    def from_bytes(cls, data: bytes) -> SeriesSummary:
        version, shift, n, count, min_step, max_step = _HEADER.unpack_from(data)
        if version != FORMAT_VERSION:
            raise ValueError(f"unknown summary format {version}")
        raw = zlib.decompress(memoryview(data)[_HEADER.size :], -15)
        bitmap = np.frombuffer(raw, dtype=np.uint8, count=CAPACITY // 8)
        idx = np.flatnonzero(np.unpackbits(bitmap, bitorder="little"))
        planes = np.frombuffer(raw, dtype=np.uint8, offset=CAPACITY // 8).reshape(8, -1)
        body = np.ascontiguousarray(planes.T).view(np.int64).reshape(8, n)
        s = cls()
        s.shift, s.count = shift, count
        if count:
            s.min_step, s.max_step = min_step, max_step
        start = idx << shift
        s.counts[idx] = body[0]
        s.finite[idx] = body[1]
        s.firsts[idx] = body[2] + start
        s.lasts[idx] = body[3] + start
        s.sums[idx] = body[4].view(np.float64)
        s.mins[idx] = body[5].view(np.float64)
        s.maxs[idx] = body[6].view(np.float64)
        s.last_values[idx] = body[7].view(np.float64)
        return s


@dataclass
class _Groups:
    counts: Int64Array
    finite: Int64Array
    sums: Float64Array
    mins: Float64Array
    maxs: Float64Array
    firsts: Int64Array
    lasts: Int64Array
    last_values: Float64Array


def _sorted(steps: Int64Array, values: Float64Array) -> tuple[Int64Array, Float64Array]:
    if len(steps) > 1 and not (steps[1:] >= steps[:-1]).all():
        # Stable: among equal steps the later arrival stays last, and wins.
        order = np.argsort(steps, kind="stable")
        return steps[order], values[order]
    return steps, values


def _group_starts(keys: Int64Array) -> Int64Array:
    """Where each run of equal (sorted) keys starts."""
    return np.concatenate([[0], np.flatnonzero(keys[1:] != keys[:-1]) + 1]).astype(np.int64)


def _reduce(steps: Int64Array, values: Float64Array, starts: Int64Array) -> _Groups:
    """Reduce sorted points, grouped at `starts`, to one bucket per group."""
    ends = np.append(starts[1:], len(steps))
    finite = np.isfinite(values)
    return _Groups(
        counts=(ends - starts).astype(np.int64),
        finite=np.add.reduceat(finite.astype(np.int64), starts),
        sums=np.add.reduceat(np.where(finite, values, 0.0), starts),
        mins=np.fmin.reduceat(values, starts),
        maxs=np.fmax.reduceat(values, starts),
        firsts=steps[starts],
        lasts=steps[ends - 1],
        last_values=values[ends - 1],
    )


def _finish(g: _Groups, samples: int, *, exact: bool) -> Sampled:
    """Merge consecutive buckets in groups of ceil(n / samples) and make the points."""
    if samples < 1:
        raise ValueError("samples must be >= 1")
    n = len(g.counts)
    per = -(-n // samples)
    if per > 1:
        starts = np.arange(0, n, per)
        ends = np.append(starts[1:], n)
        g = _Groups(
            counts=np.add.reduceat(g.counts, starts),
            finite=np.add.reduceat(g.finite, starts),
            sums=np.add.reduceat(g.sums, starts),
            mins=np.fmin.reduceat(g.mins, starts),
            maxs=np.fmax.reduceat(g.maxs, starts),
            firsts=np.minimum.reduceat(g.firsts, starts),
            lasts=g.lasts[ends - 1],
            last_values=g.last_values[ends - 1],  # buckets are disjoint and in step order
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(g.finite > 0, g.sums / np.maximum(g.finite, 1), g.last_values)
    values = np.where(g.firsts == g.lasts, g.last_values, means)
    return Sampled(
        steps=g.firsts.tolist(),
        values=values.tolist(),
        min=g.mins.tolist(),
        max=g.maxs.tolist(),
        sampled=not (exact and per <= 1 and bool((g.counts == 1).all())),
        count=int(g.counts.sum()),
    )


def downsample_raw(steps: npt.ArrayLike, values: npt.ArrayLike, samples: int) -> Sampled:
    """Downsample raw points (a zoomed read from decoded chunks) to at most `samples`.

    Buckets of equal step width, not equal point counts: gaps in the steps stay
    gaps, and a point's bucket does not move as the user pans, like the summary's.
    """
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    if steps.ndim != 1 or steps.shape != values.shape:
        raise ValueError("steps and values must be 1-d arrays of the same length")
    if samples < 1:
        raise ValueError("samples must be >= 1")
    steps, values = _sorted(steps, values)
    if len(steps) <= samples:
        listed = values.tolist()
        return Sampled(steps.tolist(), listed, listed, listed, False, len(steps))
    lo, hi = int(steps[0]), int(steps[-1])
    width = min(-(-(hi - lo + 1) // samples), 2**63 - 1)
    b = (steps - lo) // width
    g = _reduce(steps, values, _group_starts(b))
    return _finish(g, samples, exact=False)
