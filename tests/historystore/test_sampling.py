"""Series summaries and raw downsampling. No database needed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apps.runs.history import CAPACITY, SeriesSummary, downsample_raw

NAN, INF = math.inf - math.inf, math.inf


def test_it_is_exact_while_every_step_has_its_own_bucket() -> None:
    s = SeriesSummary()
    s.update(np.arange(10), np.arange(10) * 0.5)
    out = s.sample()
    assert not out.sampled
    assert out.steps == list(range(10))
    assert out.values == out.min == out.max == [i * 0.5 for i in range(10)]
    assert out.count == s.count == 10
    assert (s.min_step, s.max_step, s.width) == (0, 9, 1)


def test_ten_million_steps_keep_the_spike_and_the_extremes() -> None:
    rng = np.random.default_rng(0)
    s = SeriesSummary()
    spike = 7_654_321
    batch = 10_000
    for i in range(1000):
        steps = np.arange(i * batch, (i + 1) * batch)
        values = 1.0 + 0.01 * rng.random(batch)
        if steps[0] <= spike < steps[-1] + 1:
            values[spike - steps[0]] = 1e6
        if i == 10:
            values[5] = -3.0
        s.update(steps, values)
    assert s.count == 10_000_000 and (s.min_step, s.max_step) == (0, 9_999_999)
    assert s.width * CAPACITY > 9_999_999 and s.width * CAPACITY // 2 <= 9_999_999
    for samples in (1000, 300, 7):
        out = SeriesSummary.from_bytes(s.to_bytes()).sample(samples)
        assert out.sampled and len(out.steps) <= samples
        assert max(out.max) == 1e6 and min(out.min) == -3.0
        assert out.count == 10_000_000
        hit = out.max.index(1e6)
        assert out.steps[hit] <= spike and (hit + 1 == len(out.steps) or out.steps[hit + 1] > spike)
        assert 1.0 < np.median(out.values) < 1.01


def test_steps_in_any_order_give_the_same_summary() -> None:
    rng = np.random.default_rng(1)
    steps = np.arange(5000)
    values = rng.standard_normal(5000)
    values[[10, 20, 30]] = [NAN, INF, -INF]
    ordered, shuffled = SeriesSummary(), SeriesSummary()
    ordered.update(steps, values)
    order = rng.permutation(5000)
    for part in np.array_split(order, 7):
        shuffled.update(steps[part], values[part])
    a, b = ordered.sample(100), shuffled.sample(100)
    assert (a.steps, a.min, a.max, a.count) == (b.steps, b.min, b.max, b.count)
    assert np.allclose(a.values, b.values)
    assert shuffled.width == ordered.width


def test_a_rewritten_step_keeps_the_latest_value_as_last() -> None:
    s = SeriesSummary()
    s.update([0, 1, 2], [NAN, NAN, 1.0])
    s.update([1, 1], [NAN, INF])  # a resumed run logs step 1 again
    out = s.sample()
    assert out.sampled  # step 1 stands for three values
    assert out.count == 5
    # No finite value: a point shows its last value (the later arrival at a tie).
    assert math.isnan(out.values[0]) and out.values[1] == INF
    assert math.isnan(out.min[0]) and out.values[2] == 1.0
    assert out.min[1] == out.max[1] == INF


def test_min_and_max_skip_nan_but_keep_infinities() -> None:
    s = SeriesSummary()
    s.update([0, 0, 1, 1], [NAN, 2.0, -INF, 4.0])
    s.update([2], [1.0])
    out = s.sample(1)
    assert out.min == [-INF] and out.max == [4.0] and out.values == [7.0 / 3]


def test_a_step_logged_twice_shows_the_last_value_logged_not_their_mean() -> None:
    # An old agent, or a shared run, stores x = 5 and then x = 99 at step 40.
    s = SeriesSummary()
    s.update([0, 40, 90], [0.0, 5.0, 9.0])
    s.update([40], [99.0])
    out = SeriesSummary.from_bytes(s.to_bytes()).sample()
    assert out.steps == [0, 40, 90] and out.values == [0.0, 99.0, 9.0]
    assert (out.min[1], out.max[1]) == (5.0, 99.0)  # the envelope keeps both
    assert out.sampled and out.count == 4
    # Also in a bucket wider than one step, while it holds that one step.
    s.update([5000], [1.0])
    assert s.width == 8
    assert s.sample().values == [0.0, 99.0, 9.0, 1.0]
    # A point of several steps stays their mean.
    assert s.sample(2).values == [pytest.approx((0 + 5 + 99) / 3), 5.0]


def test_downsample_raw_shows_the_last_value_of_a_step_logged_twice() -> None:
    steps = np.array([0, 1, 1, 2, 3])
    values = np.array([0.0, 1.0, 7.0, 2.0, 3.0])
    out = downsample_raw(steps, values, 4)  # one-step buckets: steps 1's two values share one
    assert out.steps == [0, 1, 2, 3] and out.values == [0.0, 7.0, 2.0, 3.0]
    assert (out.min[1], out.max[1]) == (1.0, 7.0)


def test_it_widens_when_a_far_step_arrives() -> None:
    s = SeriesSummary()
    s.update([0, 1, 1023], [1.0, 2.0, 3.0])
    assert s.width == 1
    s.update([1024], [4.0])
    assert s.width == 2
    s.update([10**15], [5.0])
    assert s.width * CAPACITY > 10**15
    out = s.sample()
    assert out.steps == [0, 10**15] and out.min == [1.0, 5.0] and out.max == [4.0, 5.0]
    assert out.values == [2.5, 5.0]
    t = SeriesSummary()
    t.update([2**62], [1.0])  # an empty summary jumps straight to the width needed
    assert t.sample().steps == [2**62]


def test_to_bytes_round_trips() -> None:
    rng = np.random.default_rng(2)
    s = SeriesSummary()
    s.update(rng.integers(0, 50_000, 20_000), rng.standard_normal(20_000))
    s.update([7], [NAN])
    s.update([100_000], [INF])
    copy = SeriesSummary.from_bytes(s.to_bytes())
    for name in ("counts", "finite", "sums", "mins", "maxs", "firsts", "lasts", "last_values"):
        assert np.array_equal(getattr(copy, name), getattr(s, name), equal_nan=True), name
    assert (copy.width, copy.count, copy.min_step, copy.max_step) == (
        s.width,
        s.count,
        s.min_step,
        s.max_step,
    )
    empty = SeriesSummary.from_bytes(SeriesSummary().to_bytes())
    assert empty.count == 0 and empty.min_step is None and empty.sample().steps == []
    assert len(s.to_bytes()) < 64 * CAPACITY


def test_zoom_and_resolution() -> None:
    s = SeriesSummary()
    s.update(np.arange(100_000), np.arange(100_000, dtype=np.float64))
    assert s.width == 128
    assert s.resolution_in() == 782
    assert s.resolution_in(1000, 2000) == 9
    out = s.sample(1000, min_step=1000, max_step=2000)
    assert out.steps[0] == 896 and out.steps[-1] == 1920  # whole buckets overlapping the range
    assert out.count == 9 * 128


def test_update_refuses_bad_input() -> None:
    s = SeriesSummary()
    with pytest.raises(ValueError):
        s.update([-1], [1.0])
    with pytest.raises(ValueError):
        s.update([1, 2], [1.0])
    s.update([], [])
    assert s.count == 0


def test_downsample_raw_returns_every_point_when_few() -> None:
    out = downsample_raw(np.array([5, 1, 3]), np.array([0.5, NAN, 3.0]), 10)
    assert not out.sampled and out.steps == [1, 3, 5] and out.count == 3
    assert out.min == out.values and out.values[1:] == [3.0, 0.5] and math.isnan(out.values[0])


def test_downsample_raw_keeps_the_spike() -> None:
    rng = np.random.default_rng(3)
    steps = rng.permutation(np.arange(1000, 201_000))
    values = rng.random(len(steps))
    values[steps == 123_457] = 50.0
    values[steps == 9999] = -50.0
    out = downsample_raw(steps, values, 1000)
    assert out.sampled and len(out.steps) <= 1000 and out.count == 200_000
    assert max(out.max) == 50.0 and min(out.min) == -50.0
    assert out.steps[0] == 1000 and out.steps == sorted(out.steps)
    assert 0.45 < np.median(out.values) < 0.55
    assert len(downsample_raw(steps, values, 1).steps) == 1
