"""Reads for the media panels: a run's media keys, one key's items by step,
histograms over time, and one key across several runs.

Media items are `Media` rows (written by the pipeline), less the image cells
of tables (`Media.table` set), which show inside their table; histograms live inline
in the history stream as `{"_type": "histogram", "edges": [...], "counts": [...]}`
and are read from the history chunks here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Max, Min, QuerySet

from apps.runs.history import decode_chunk
from apps.runs.models import HistoryChunk, HistorySeries, Media, Run, Stream

MAX_PAGE = 500
MAX_STEPS = 10_000  # distinct steps a slider gets; more are sampled evenly
MAX_HIST_STEPS = 2_000
MAX_BINS = 512
HISTOGRAM = "histogram"


@dataclass
class MediaKey:
    key: str
    kind: str
    count: int
    steps: int | None
    min_step: int | None
    max_step: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "count": self.count, "steps": self.steps,
                "min_step": self.min_step, "max_step": self.max_step}


def _is_histogram(value: Any) -> bool:
    return isinstance(value, dict) and value.get("_type") == HISTOGRAM


def media_keys(*, runs: list[Run]) -> list[MediaKey]:
    """The media keys of the runs (one kind each: the most common), then their histogram keys.

    Histogram keys are found from each run's summary, which holds the last
    value logged under every key: one read, no chunk decoding.
    """
    rows = (
        Media.objects.filter(run__in=runs, table=None)
        .values("key", "kind")
        .annotate(count=Count("pk"), steps=Count("step", distinct=True), lo=Min("step"), hi=Max("step"))
    )
    by_key: dict[str, MediaKey] = {}
    for r in rows:
        have = by_key.get(r["key"])
        if have is None or r["count"] > have.count:
            total = r["count"] + (have.count if have else 0)
            by_key[r["key"]] = MediaKey(r["key"], r["kind"], total, r["steps"], r["lo"], r["hi"])
        else:
            have.count += r["count"]
    hist_keys = {k for run in runs for k, v in (run.summary or {}).items() if _is_histogram(v)} - set(by_key)
    if hist_keys:
        counts = (
            HistorySeries.objects.filter(run__in=runs, stream=Stream.HISTORY, key__in=hist_keys)
            .values("key").annotate(total=Max("count"))
        )
        for c in counts:
            by_key[c["key"]] = MediaKey(c["key"], HISTOGRAM, int(c["total"] or 0), None, None, None)
    media = sorted((k for k in by_key.values() if k.kind != HISTOGRAM), key=lambda k: k.key)
    hists = sorted((k for k in by_key.values() if k.kind == HISTOGRAM), key=lambda k: k.key)
    return media + hists


def _evenly(values: list[int], limit: int) -> list[int]:
    if len(values) <= limit:
        return values
    picks = np.linspace(0, len(values) - 1, limit).round().astype(int)
    return [values[i] for i in picks.tolist()]


def media_steps(*, runs: list[Run], key: str, limit: int = MAX_STEPS) -> tuple[list[int], int]:
    """The distinct steps at which the key holds media (at most `limit`, evenly picked) and their number."""
    steps = list(
        Media.objects.filter(run__in=runs, key=key, table=None).order_by("step").values_list("step", flat=True).distinct()
    )
    return _evenly(steps, limit), len(steps)


def media_of_key(
    *, run: Run, key: str, step: int | None = None, min_step: int | None = None, max_step: int | None = None
) -> QuerySet[Media]:
    """One key's media of a run, by step then gallery position. Without a step or
    a range: the newest step that has any."""
    qs = Media.objects.filter(run=run, key=key, table=None)
    if step is None and min_step is None and max_step is None:
        # The (run, key, step, index) index answers this from its last entry.
        step = qs.order_by("-step").values_list("step", flat=True).first()
        if step is None:
            return qs.none()
    if step is not None:
        qs = qs.filter(step=step)
    if min_step is not None:
        qs = qs.filter(step__gte=min_step)
    if max_step is not None:
        qs = qs.filter(step__lte=max_step)
    return qs.order_by("step", "index", "pk")


def media_at_step(*, runs: list[Run], key: str, step: int | None, limit: int) -> dict[int, tuple[int | None, list[Media]]]:
    """For each run (by pk): the step shown and up to `limit` items of the key.

    The step shown is the newest step at or before `step` (or the newest of
    all) where the run has media for the key: runs that log at different
    steps still line up side by side.
    """
    qs = Media.objects.filter(run__in=runs, key=key, table=None)
    if step is not None:
        qs = qs.filter(step__lte=step)
    chosen = dict(qs.values("run_id").annotate(s=Max("step")).values_list("run_id", "s"))
    out: dict[int, tuple[int | None, list[Media]]] = {r.pk: (None, []) for r in runs}
    if not chosen:
        return out
    items = Media.objects.filter(run__in=runs, key=key, table=None, step__in=set(chosen.values())).order_by("step", "index", "pk")
    for m in items:
        if chosen.get(m.run_id) == m.step:
            s, got = out[m.run_id]
            if len(got) < limit:
                got.append(m)
            out[m.run_id] = (m.step, got)
    return out


# -- Histograms over time -------------------------------------------------------


@dataclass
class HistogramsOverTime:
    key: str
    count: int  # histograms logged under the key
    steps: list[int]
    edges: list[float]
    counts: list[list[float]]  # one row per step, len(edges) - 1 bins each
    skipped: int  # histograms that were malformed (non-finite or unordered edges)

    def as_dict(self) -> dict[str, Any]:
        peak = max((max(r) for r in self.counts if r), default=0.0)
        return {"key": self.key, "count": self.count, "sampled": len(self.steps) < self.count,
                "steps": self.steps, "edges": self.edges, "counts": self.counts, "max": peak,
                "skipped": self.skipped}


def _histogram_lists(value: Any) -> tuple[list[Any], list[Any]] | None:
    if type(value) is not dict or value.get("_type") != HISTOGRAM:
        return None
    edges, counts = value.get("edges"), value.get("counts")
    if type(edges) is not list or type(counts) is not list or not counts or len(edges) != len(counts) + 1:
        return None
    return edges, counts


def _valid_rows(edges: list[list[Any]], counts: list[list[Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histograms of one bin count as arrays, and which of them are usable (finite, increasing edges)."""
    try:
        e = np.array(edges, dtype=np.float64)
        c = np.array(counts, dtype=np.float64)
    except (TypeError, ValueError):  # a value that is not a number somewhere: row by row
        ok = np.zeros(len(edges), dtype=bool)
        e = np.zeros((len(edges), len(edges[0])))
        c = np.zeros((len(counts), len(counts[0])))
        for i, (row_e, row_c) in enumerate(zip(edges, counts)):
            try:
                e[i], c[i] = row_e, row_c
                ok[i] = True
            except (TypeError, ValueError):
                pass
    else:
        ok = np.ones(len(edges), dtype=bool)
    ok &= np.isfinite(e).all(axis=1) & np.isfinite(c).all(axis=1) & (np.diff(e, axis=1) > 0).all(axis=1)
    return e, np.clip(c, 0, None), ok


def _histogram_rows(run: Run, key: str) -> tuple[list[int], list[Any]]:
    steps: list[np.ndarray] = []
    values: list[Any] = []
    chunks = HistoryChunk.objects.filter(run=run, stream=Stream.HISTORY).order_by("first_offset")
    for payload in chunks.values_list("payload", flat=True).iterator(chunk_size=20):
        decoded = decode_chunk(bytes(payload), [key])
        column = decoded.columns.get(key)
        if column is None or column.numeric:
            continue
        steps.append(decoded.steps[column.rows])
        values.extend(column.values)
    if not steps:
        return [], []
    all_steps = np.concatenate(steps)
    order = np.argsort(all_steps, kind="stable")
    return all_steps[order].tolist(), [values[i] for i in order.tolist()]


def _rebin(e: np.ndarray, c: np.ndarray, common: np.ndarray) -> np.ndarray:
    """Rows of counts on edges `e` → on `common`, by interpolating their cumulative counts.

    One np.interp call for all rows: row r is shifted by r × (a span wider than
    any row), which keeps the concatenated edges increasing; queries outside a
    row's own range are then set to 0 or its total.
    """
    k = len(c)
    cumulative = np.concatenate((np.zeros((k, 1)), np.cumsum(c, axis=1)), axis=1)
    shift = (np.arange(k, dtype=np.float64) * (2.0 * (common[-1] - common[0]) + 1.0))[:, None]
    at = np.interp((common[None, :] + shift).ravel(), (e + shift).ravel(), cumulative.ravel()).reshape(k, -1)
    at = np.where(common[None, :] <= e[:, :1], 0.0, at)
    at = np.where(common[None, :] >= e[:, -1:], cumulative[:, -1:], at)
    return np.diff(at, axis=1)


def histograms_over_time(*, run: Run, key: str, max_steps: int = 1000, bins: int | None = None) -> HistogramsOverTime:
    """The key's histograms as a steps × bins matrix on common edges.

    At most `max_steps` histograms, evenly spaced over the run. Each is
    rebinned onto edges spanning every histogram's range, spreading a bin's
    count evenly over its width (so totals are kept): its cumulative counts
    are interpolated at the common edges.
    """
    all_steps, all_values = _histogram_rows(run, key)
    total = len(all_steps)
    picks = _evenly(list(range(total)), max(1, max_steps))
    # Grouped by bin count, so each group is parsed and checked as one array.
    groups: dict[int, tuple[list[int], list[list[Any]], list[list[Any]]]] = {}
    for pos, i in enumerate(picks):
        lists = _histogram_lists(all_values[i])
        if lists is not None:
            g = groups.setdefault(len(lists[1]), ([], [], []))
            g[0].append(pos)
            g[1].append(lists[0])
            g[2].append(lists[1])
    parsed = []
    for positions, edges, counts in groups.values():
        e, c, ok = _valid_rows(edges, counts)
        parsed.append((np.asarray(positions)[ok], e[ok], c[ok]))
    parsed = [p for p in parsed if len(p[0])]
    kept = sum(len(p[0]) for p in parsed)
    skipped = len(picks) - kept
    if not kept:
        return HistogramsOverTime(key, total, [], [], [], skipped)
    lo = min(float(e[:, 0].min()) for _, e, _ in parsed)
    hi = max(float(e[:, -1].max()) for _, e, _ in parsed)
    n = max(1, min(bins or max(c.shape[1] for _, _, c in parsed), MAX_BINS))
    common = np.linspace(lo, hi, n + 1)
    order = np.concatenate([p for p, _, _ in parsed])
    if len(parsed) == 1 and parsed[0][1].shape[1] == n + 1 and np.allclose(parsed[0][1], common, rtol=1e-9, atol=0):
        matrix = parsed[0][2]  # every histogram already on the common edges: counts as logged
    else:
        matrix = np.round(np.concatenate([_rebin(e, c, common) for _, e, c in parsed]), 2)
    rank = np.argsort(order, kind="stable")
    steps = [int(all_steps[picks[i]]) for i in order[rank].tolist()]
    return HistogramsOverTime(key, total, steps, common.tolist(), matrix[rank].tolist(), skipped)


def table_cells(*, tables: list[Media]) -> dict[int, list[Media]]:
    """The image cells of the tables among `tables`, by table pk: one query."""
    pks = [m.pk for m in tables if m.kind == "table"]
    out: dict[int, list[Media]] = {pk: [] for pk in pks}
    if pks:
        for c in Media.objects.filter(table_id__in=pks).only("pk", "table_id", "path", "status", "error", "thumbnail"):
            out[c.table_id].append(c)  # type: ignore[index]
    return out
