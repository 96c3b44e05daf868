"""Grouped runs: the runs sharing a `group` (each process of a distributed job,
W&B's `init(group=...)`), and their history aggregated step by step.

Reads only; the group page (views.group_page) and its API
(api/charts.GroupHistoryApi) call them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

import numpy as np
from django.http import Http404

from apps.core.errors import BadInput
from apps.runs import workspace
from apps.runs.history import SeriesSummary
from apps.runs.models import HistorySeries, Project, Run, Stream

# Aggregating costs a summary read per run and key: the first runs created count, the rest are said to be left out.
MAX_RUNS = 500
MAX_KEYS = 500
# The group page draws each run's own line for at most this many runs (one multi-run history read).
MAX_RUN_LINES = workspace.MAX_RUNS
MAX_LENGTH: int = Run._meta.get_field("group").max_length or 128
_MAX_WIDTH = 2**63 - 1


def group_check(value: str) -> str:
    """A group name as a URL gives it: what a run may store (NUL and lone surrogates are refused before)."""
    if not value or len(value) > MAX_LENGTH:
        raise BadInput(f"A group is 1-{MAX_LENGTH} characters.", "group")
    return value


def group_runs(*, project: Project, group: str) -> tuple[list[Run], int]:
    """The group's first MAX_RUNS runs by creation, and how many it has; Http404 for a group no run is in."""
    runs = Run.objects.filter(project=project, group=group)
    total = runs.count()
    if not total:
        raise Http404
    first = list(runs.select_related("user").order_by("created_at", "id")[:MAX_RUNS])
    return first, total


@dataclass(frozen=True)
class Aggregate:
    steps: list[int]  # each point's bucket start on the common grid
    mean: list[float]
    min: list[float]
    max: list[float]
    runs: list[int]  # runs with a finite value at the point

    def as_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "mean": self.mean, "min": self.min, "max": self.max, "runs": self.runs}


def series_aggregate(series: Sequence[tuple[Sequence[int], Sequence[float]]], samples: int) -> Aggregate:
    """Mean, min and max across runs, step by step.

    `series` is each run's (steps, values), as sampled. The steps of all runs
    are bucketed onto one grid of at most `samples` buckets of equal width,
    from the first step any run has to the last; a run's value in a bucket is
    the mean of its finite values there, and each bucket gives the mean, min
    and max over the runs that have one. Buckets no run has a value in are
    left out, so runs logging at different steps still line up.
    """
    if samples < 1:
        raise ValueError("samples must be >= 1")
    parts = [(np.asarray(s, dtype=np.int64), np.asarray(v, dtype=np.float64)) for s, v in series]
    parts = [(s, v) for s, v in parts if len(s)]
    if not parts:
        return Aggregate([], [], [], [], [])
    lo = min(int(s.min()) for s, _ in parts)
    hi = max(int(s.max()) for s, _ in parts)
    width = min(-(-(hi - lo + 1) // samples), _MAX_WIDTH)
    n = min(samples, (hi - lo) // width + 1)
    total, runs = np.zeros(n), np.zeros(n, dtype=np.int64)
    lows, highs = np.full(n, np.nan), np.full(n, np.nan)
    for steps, values in parts:
        finite = np.isfinite(values)
        idx = np.minimum((steps[finite] - lo) // width, n - 1)
        count = np.bincount(idx, minlength=n)
        has = count > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.bincount(idx, weights=values[finite], minlength=n) / count
        total[has] += value[has]
        runs += has
        lows = np.where(has, np.fmin(lows, value), lows)
        highs = np.where(has, np.fmax(highs, value), highs)
    kept = np.flatnonzero(runs)
    return Aggregate(
        steps=[lo + int(i) * width for i in kept],
        mean=(total[kept] / runs[kept]).tolist(),
        min=lows[kept].tolist(),
        max=highs[kept].tolist(),
        runs=runs[kept].tolist(),
    )


@dataclass(frozen=True)
class GroupHistory:
    group: str
    run_count: int
    runs: list[Run]  # the ones aggregated
    series: dict[str, Aggregate]

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "run_count": self.run_count,
            "aggregated": len(self.runs),
            "max_runs": MAX_RUNS,
            "series": {k: a.as_dict() for k, a in self.series.items()},
        }


def group_history(*, project: Project, group: str, keys: list[str] | None, samples: int) -> GroupHistory:
    """Each numeric history key of the group's runs (or the `keys` asked for), aggregated across its runs.

    Every run's series is its sampled summary (as the run's history read
    gives it, `samples` points), then series_aggregate lines them up. Keys
    starting with `_` are hidden unless asked for by name; keys holding no
    numbers are left out.
    """
    if keys is not None and len(keys) > MAX_KEYS:
        raise BadInput(f"At most {MAX_KEYS} keys.", "keys")
    runs, total = group_runs(project=project, group=group)
    rows = HistorySeries.objects.filter(run__in=[r.pk for r in runs], stream=Stream.HISTORY).exclude(summary=b"")
    rows = rows.filter(key__in=keys) if keys is not None else rows.exclude(key__startswith="_")
    out: dict[str, Aggregate] = {}
    # A key at a time: only its runs' summaries are in memory at once.
    ordered = rows.order_by("key").values_list("key", "summary").iterator(chunk_size=MAX_RUNS)
    for key, blobs in groupby(ordered, key=itemgetter(0)):
        sampled = [SeriesSummary.from_bytes(bytes(blob)).sample(samples) for _, blob in blobs]
        out[key] = series_aggregate([(s.steps, s.values) for s in sampled], samples)
    return GroupHistory(group, total, runs, out)
