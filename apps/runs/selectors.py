"""Reads: runs lists, one run, sampled and full history, console, files."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import Length
from django.utils import timezone

from apps.runs.history import SeriesSummary, decode_chunk, downsample_raw, export_csv, export_jsonl
from apps.runs.models import (
    HistoryChunk,
    HistorySeries,
    Project,
    Run,
    RunAlert,
    RunFile,
    RunWriter,
    Stream,
)
from apps.runs.query import filter_runs, order_runs

MAX_PAGE = 1000
MAX_SAMPLES = 10_000
# A hidden series per run and stream: record times by step (ingest._series_update).
# Left out when a caller asks for every key; asked for by name.
TIME_KEY = "_time"
# A writer heard from this recently is taken to be a live process.
WRITER_LIVE_WINDOW = timedelta(seconds=60)


def project_list(*, org_id: int, user: AbstractBaseUser | AnonymousUser, is_member: bool) -> QuerySet[Project]:
    qs = Project.objects.filter(organization_id=org_id).select_related("organization").order_by("slug")
    return qs if is_member else qs.filter(visibility="public")


def run_list(*, project: Project, filter_text: str = "") -> QuerySet[Run]:
    """The project's runs matching the filter language (raises FilterError)."""
    qs = Run.objects.filter(project=project).select_related("user")
    return filter_runs(qs, filter_text) if filter_text.strip() else qs


def run_order(runs: QuerySet[Run], order_text: str = "") -> QuerySet[Run]:
    return order_runs(runs, order_text or "-created_at")


def run_page(runs: QuerySet[Run], *, offset: int, limit: int) -> tuple[list[Run], int]:
    """One page and the total.

    The filtered runs are sorted as narrow rows (id and the total, which rides
    along as a window function instead of a second scan); only the page's runs
    are then read whole.
    """
    keyed = list(runs.annotate(total_count=Window(Count("pk"))).values_list("pk", "total_count")[offset : offset + limit])
    if not keyed:
        return [], runs.count() if offset else 0
    ids = [pk for pk, _ in keyed]
    by_id = Run.objects.select_related("user", "sweep_trial__sweep").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id], int(keyed[0][1])


def run_get(*, project: Project, run_id: str) -> Run:
    from django.http import Http404

    if "\x00" in run_id:  # names no run, and PostgreSQL refuses to look one up
        raise Http404
    run = Run.objects.select_related("user", "project__organization", "sweep_trial__sweep").filter(project=project, run_id=run_id).first()
    if run is None:
        raise Http404
    return run


def run_storage(*, run: Run) -> dict[str, int]:
    """How much the run's streams take in the database."""
    agg = HistoryChunk.objects.filter(run=run).aggregate(chunks=Count("pk"), bytes=Sum(Length("payload")))
    return {"chunks": agg["chunks"] or 0, "bytes": agg["bytes"] or 0}


def series_keys(*, run: Run, stream: Stream) -> list[str]:
    rows = HistorySeries.objects.filter(run=run, stream=stream).exclude(key=TIME_KEY)
    return list(rows.order_by("key").values_list("key", flat=True))


@dataclass
class SampledSeries:
    count: int
    sampled: bool
    steps: list[Any]
    values: list[Any]
    minimum: list[Any] | None = None
    maximum: list[Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"count": self.count, "sampled": self.sampled, "steps": self.steps, "values": self.values}
        if self.minimum is not None:
            out["min"] = self.minimum
            out["max"] = self.maximum
        return out


def _chunks_in_range(run: Run, stream: Stream, min_step: int | None, max_step: int | None) -> QuerySet[HistoryChunk]:
    qs = HistoryChunk.objects.filter(run=run, stream=stream)
    if min_step is not None:
        qs = qs.filter(step_max__gte=min_step)
    if max_step is not None:
        qs = qs.filter(step_min__lte=max_step)
    return qs.order_by("first_offset")


def _raw_columns(
    run: Run, stream: Stream, keys: list[str], min_step: int | None, max_step: int | None
) -> dict[str, tuple[np.ndarray, Any, bool]]:
    """Every value of the keys within the step range, read from the chunks."""
    parts: dict[str, list[tuple[np.ndarray, Any, bool]]] = {k: [] for k in keys}
    for payload in _chunks_in_range(run, stream, min_step, max_step).values_list("payload", flat=True).iterator():
        decoded = decode_chunk(bytes(payload), keys)
        for key, column in decoded.columns.items():
            steps = decoded.steps[column.rows]
            mask = np.ones(len(steps), dtype=bool)
            if min_step is not None:
                mask &= steps >= min_step
            if max_step is not None:
                mask &= steps <= max_step
            if column.numeric:
                parts[key].append((steps[mask], np.asarray(column.values)[mask], True))
            else:
                vals = [v for v, keep in zip(column.values, mask) if keep]
                parts[key].append((steps[mask], vals, False))
    out: dict[str, tuple[np.ndarray, Any, bool]] = {}
    for key, pieces in parts.items():
        if not pieces:
            continue
        numeric = [p for p in pieces if p[2]]
        if numeric:
            out[key] = (
                np.concatenate([p[0] for p in numeric]),
                np.concatenate([p[1] for p in numeric]),
                True,
            )
        else:
            steps = np.concatenate([p[0] for p in pieces])
            values = [v for p in pieces for v in p[1]]
            out[key] = (steps, values, False)
    return out


def _even_pick(steps: np.ndarray, values: list[Any], samples: int) -> SampledSeries:
    order = np.argsort(steps, kind="stable")
    if len(order) > samples:
        order = order[np.linspace(0, len(order) - 1, samples).round().astype(int)]
    return SampledSeries(
        count=len(values), sampled=len(values) > samples,
        steps=steps[order].tolist(), values=[values[i] for i in order.tolist()],
    )


def history_sampled(
    *,
    run: Run,
    stream: Stream,
    keys: list[str] | None,
    samples: int = 1000,
    min_step: int | None = None,
    max_step: int | None = None,
) -> dict[str, SampledSeries]:
    """Each key's series in at most `samples` points, extremes kept.

    Whole-run reads come from the per-key summary and cost the same at any
    run length; a deep zoom, where the summary is too coarse, reads the raw
    chunks of that step range only.
    """
    samples = max(1, min(samples, MAX_SAMPLES))
    rows = HistorySeries.objects.filter(run=run, stream=stream)
    rows = rows.filter(key__in=keys) if keys is not None else rows.exclude(key=TIME_KEY)
    out: dict[str, SampledSeries] = {}
    raw_keys: list[str] = []
    counts: dict[str, int] = {}
    for key, count, blob in rows.values_list("key", "count", "summary"):
        counts[key] = count
        if not blob:
            raw_keys.append(key)
            continue
        summary = SeriesSummary.from_bytes(bytes(blob))
        zoomed = min_step is not None or max_step is not None
        if zoomed and summary.width > 1 and summary.resolution_in(min_step, max_step) < samples // 2:
            raw_keys.append(key)
            continue
        s = summary.sample(samples, min_step=min_step, max_step=max_step)
        out[key] = SampledSeries(count, s.sampled, s.steps, s.values, s.min, s.max)
    if raw_keys:
        for key, (steps, values, numeric) in _raw_columns(run, stream, raw_keys, min_step, max_step).items():
            if numeric:
                s = downsample_raw(steps, values, samples)
                out[key] = SampledSeries(counts[key], s.sampled, s.steps, s.values, s.min, s.max)
            else:
                out[key] = _even_pick(steps, values, samples)
                out[key].count = counts[key]
    return dict(sorted(out.items()))


def history_summaries_at(*, run: Run, max_step: int) -> dict[str, tuple[int, bytes]]:
    """Each numeric history key as it stood at `max_step`: its count and
    SeriesSummary bytes, for a copy that must not change (a benchmark entry's
    charts). A key logged past the step is rebuilt from the chunks up to it; a
    key first logged past it is left out."""
    rows = HistorySeries.objects.filter(run=run, stream=Stream.HISTORY).exclude(summary=b"").exclude(key=TIME_KEY)
    out: dict[str, tuple[int, bytes]] = {}
    past: list[str] = []
    for key, count, blob in rows.values_list("key", "count", "summary"):
        summary = SeriesSummary.from_bytes(bytes(blob))
        if summary.max_step is not None and summary.max_step <= max_step:
            out[key] = (count, bytes(blob))
        elif summary.min_step is not None and summary.min_step <= max_step:
            past.append(key)
    raw = _raw_columns(run, Stream.HISTORY, past, None, max_step) if past else {}
    for key, (steps, values, numeric) in raw.items():
        if numeric and len(steps):
            rebuilt = SeriesSummary()
            rebuilt.update(steps, values)
            out[key] = (len(steps), rebuilt.to_bytes())
    return dict(sorted(out.items()))


def history_export(
    *, run: Run, stream: Stream, keys: list[str] | None, fmt: str, min_step: int | None = None, max_step: int | None = None
) -> Iterator[bytes]:
    """Every row (of `keys`), in logged order; with `min_step`/`max_step`, those of that inclusive step range."""
    if keys is None:
        keys = series_keys(run=run, stream=stream)
    chunks = HistoryChunk.objects.filter(run=run, stream=stream)
    if min_step is not None:
        chunks = chunks.filter(step_max__gte=min_step)
    if max_step is not None:
        chunks = chunks.filter(step_min__lte=max_step)
    steps = (min_step, max_step)
    payloads = (
        bytes(p)
        for p in chunks.order_by("first_offset")
        .values_list("payload", flat=True)
        .iterator(chunk_size=20)
    )
    if fmt == "csv":
        return export_csv(payloads, keys, steps)
    return export_jsonl(payloads, keys, steps)


def writers_of(*, run: Run) -> QuerySet[RunWriter]:
    return RunWriter.objects.filter(run=run).order_by("label", "created_at")


def writers_live(*, run: Run, exclude: RunWriter | None = None) -> list[RunWriter]:
    """Writers of the run that are running and were heard from lately."""
    qs = RunWriter.objects.filter(
        run=run, finished_at__isnull=True, heartbeat_at__gte=timezone.now() - WRITER_LIVE_WINDOW
    ).order_by("created_at")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs)


def writer_get(*, run: Run, name: str) -> RunWriter:
    from django.http import Http404

    writer = RunWriter.objects.filter(run=run).filter(Q(writer_id=name) | Q(label=name)).order_by("-created_at").first()
    if writer is None:
        raise Http404
    return writer


def console_lines(
    *, run: Run, offset: int, limit: int, writer: RunWriter | None = None, writer_offset: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Lines from `offset` on (the run's offsets, across writers), of one writer or all.

    `writer_offset` starts instead at the writer's own line of that number (as
    the writer counts its lines): where a page showing one writer's last lines
    begins, which the run's offsets cannot say.
    """
    console = HistoryChunk.objects.filter(run=run, stream=Stream.CONSOLE)
    if writer is not None:
        console = console.filter(writer=writer)
        if writer_offset is not None:
            offset = _run_offset_of(console, writer_offset, run.console_offset)
    elif writer_offset is not None:
        offset = writer_offset  # without a writer, the run is the writer
    # The chunk holding `offset` starts at or before it.
    start = console.filter(first_offset__lte=offset).aggregate(m=Max("first_offset"))["m"] or 0
    chunks = (
        console.filter(first_offset__gte=start)
        .order_by("first_offset")
        .values_list("first_offset", "row_count", "payload", "writer__label", "writer__writer_id")
    )
    lines: list[dict[str, Any]] = []
    for first, count, payload, label, writer_id in chunks.iterator(chunk_size=10):
        if first + count <= offset:
            continue
        decoded = decode_chunk(bytes(payload))
        for i, (t, stream_name, line) in enumerate(decoded.lines):
            if first + i < offset:
                continue
            lines.append(
                {"offset": first + i, "time": t, "stream": stream_name, "line": line, "writer": label or writer_id}
            )
            if len(lines) >= limit:
                return lines, first + i + 1
    return lines, run.console_offset if not lines else lines[-1]["offset"] + 1


def _run_offset_of(chunks: QuerySet[HistoryChunk], writer_offset: int, end: int) -> int:
    """The run's offset of a writer's line; `end` past its last line. A chunk is one writer's batch:
    its lines are consecutive for the writer and for the run alike."""
    found = chunks.filter(writer_offset__lte=writer_offset).order_by("-writer_offset")
    row = found.values_list("first_offset", "writer_offset", "row_count").first()
    if row is None:
        return end
    first, at, count = row
    return first + writer_offset - at if writer_offset < at + count else end


def file_list(*, run: Run) -> QuerySet[RunFile]:
    return RunFile.objects.filter(run=run).order_by("path")


def file_get(*, run: Run, path: str) -> RunFile:
    from django.http import Http404

    rf = RunFile.objects.filter(run=run, path=path).first()
    if rf is None:
        raise Http404
    return rf


MAX_ALERTS = 500


def alerts_of(*, run: Run, limit: int = MAX_ALERTS) -> list[RunAlert]:
    """The run's alerts, newest first (at most ``limit``)."""
    return list(RunAlert.objects.filter(run=run).order_by("-created_at", "-id")[:limit])
