"""Appends to a run's streams, by writer (docs/protocol.md, Streams and Writers).

Every process appending to a run is a writer with offsets of its own. A batch
at offsets its writer already filled is a retry only when it holds what was
stored there; anything else is a 409, never an acknowledgement, so two
processes can never take each other's rows for duplicates and drop them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.core.errors import BadInput, Conflict
from apps.core.observability import INGEST_ROWS
from apps.core.validation import text_check
from apps.runs import media
from apps.runs.history import (
    EncodedChunk,
    RecordError,
    SeriesSummary,
    chunk_records,
    decode_chunk,
    encode_chunk,
)
from apps.runs.models import (
    WRITER_ID_PATTERN,
    HistoryChunk,
    HistorySeries,
    Run,
    RunState,
    RunWriter,
    Stream,
)
from apps.runs.selectors import TIME_KEY
from apps.runs.signals import history_appended

_WRITER_ID = re.compile(WRITER_ID_PATTERN)


@dataclass(frozen=True)
class Appended:
    next_offset: int
    stored: int


# --- Writers ------------------------------------------------------------------


def writer_id_check(value: Any, field: str = "writer") -> str:
    if not isinstance(value, str) or not _WRITER_ID.fullmatch(value):
        raise BadInput(f"Must match {WRITER_ID_PATTERN}.", field)
    return value


def _writer_fields(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if data.get("label") is not None:
        out["label"] = writer_id_check(data["label"], "writer.label")
    if data.get("host") is not None:
        out["host"] = text_check(data["host"], "writer.host", 255)
    pid = data.get("pid")
    if pid is not None:
        if not isinstance(pid, int) or isinstance(pid, bool) or not 0 <= pid < 2**63:
            raise BadInput("Must be an integer >= 0.", "writer.pid")
        out["pid"] = pid
    for flag in ("primary", "shared"):
        if data.get(flag) is not None:
            if not isinstance(data[flag], bool):
                raise BadInput("Must be true or false.", f"writer.{flag}")
            out[flag] = data[flag]
    return out


def writer_register(*, run: Run, data: Any) -> RunWriter:
    """The writer a create/resume names, made or brought back to life.

    Called with the run locked. A shared writer makes the run shared.
    """
    if not isinstance(data, dict):
        raise BadInput("Must be an object.", "writer")
    writer_id = writer_id_check(data.get("id"), "writer.id")
    fields = _writer_fields(data)
    now = timezone.now()
    writer, _ = RunWriter.objects.get_or_create(run=run, writer_id=writer_id, defaults=fields)
    for k, v in fields.items():
        setattr(writer, k, v)
    writer.heartbeat_at = now
    writer.state = RunState.RUNNING
    writer.finished_at = None
    writer.exit_code = None
    writer.save()
    if writer.shared and not run.shared:
        run.shared = True
        run.save(update_fields=["shared"])
    return writer


def _writer_for_append(run: Run, writer_id: Any) -> RunWriter | None:
    if writer_id is None:
        return None
    writer_id = writer_id_check(writer_id)
    try:
        with transaction.atomic():
            # A writer that appends before its create arrived (or after the
            # server lost it) is taken as it is, rather than refused for good.
            writer, _ = RunWriter.objects.get_or_create(run=run, writer_id=writer_id)
    except IntegrityError:
        writer = RunWriter.objects.get(run=run, writer_id=writer_id)
    return writer


# --- Appends ------------------------------------------------------------------


def _encode(records: list[Any], stream: Stream, first_offset: int, index_base: int) -> EncodedChunk:
    try:
        return encode_chunk(records, stream=stream.label, first_offset=first_offset)
    except RecordError as e:
        field = e.field
        if index_base and field.startswith("records["):
            index, _, rest = field[len("records[") :].partition("]")
            field = f"records[{int(index) + index_base}]{rest}"
        raise BadInput(e.message, field) from None


def _labelled(records: list[Any], label: str) -> list[Any]:
    """System records of a shared run's writer, their keys prefixed `<label>/`: a panel per host."""
    out: list[Any] = []
    for record in records:
        if isinstance(record, dict) and isinstance(record.get("data"), dict):
            record = {**record, "data": {f"{label}/{k}": v for k, v in record["data"].items()}}
        out.append(record)
    return out


def _comparable(records: list[dict[str, Any]], stream: Stream) -> str:
    if stream == Stream.SYSTEM:
        # A system record's step is where it landed among all writers' rows, not content.
        records = [{k: v for k, v in r.items() if k != "step"} for r in records]
    return json.dumps(records, sort_keys=True, default=str)


def _stored_records(run: Run, stream: Stream, writer: RunWriter | None, start: int, end: int) -> list[dict[str, Any]]:
    """The records stored at the writer's offsets [start, end), in order."""
    if writer is None:
        chunks = HistoryChunk.objects.filter(run=run, stream=stream).annotate(at=F("first_offset"))
    else:
        chunks = HistoryChunk.objects.filter(writer=writer, stream=stream).annotate(at=F("writer_offset"))
    chunks = chunks.annotate(until=F("at") + F("row_count")).filter(at__lt=end, until__gt=start).order_by("at")
    out: list[dict[str, Any]] = []
    for at, payload in chunks.values_list("at", "payload"):
        rows = chunk_records(decode_chunk(bytes(payload)), stream)
        out.extend(rows[max(0, start - at) : max(0, end - at)])
    return out


def _retry_check(run: Run, stream: Stream, writer: RunWriter | None, offset: int, records: list[Any]) -> None:
    """Records sent again at offsets already filled must be what is stored there."""
    stored = _stored_records(run, stream, writer, offset, offset + len(records))
    sent = chunk_records(decode_chunk(_encode(records, stream, 0, 0).payload), stream)
    if len(stored) == len(sent) and _comparable(stored, stream) == _comparable(sent, stream):
        return
    who = f"writer {writer.name}" if writer else "this run (sent without a writer id)"
    raise Conflict(
        f"Offsets {offset}..{offset + len(records) - 1} of the {stream.label} stream of {who} hold other records: "
        "another process is appending as the same writer. Give each process its own writer id (agent.init(shared=True) "
        "does) or its own run.",
        field="offset",
        conflict="content",
    )


def stream_append(*, run: Run, stream: Stream, offset: Any, records: Any, writer_id: Any = None) -> Appended:
    """Store a batch exactly once, whatever retries, races and other writers (docs/protocol.md)."""
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0 or offset >= 2**63:
        raise BadInput("Must be an integer >= 0.", "offset")
    if not isinstance(records, list):
        raise BadInput("Must be a list of records.", "records")
    writer = _writer_for_append(run, writer_id)
    if not records:
        return Appended((writer or run).stream_offset(stream), 0)
    if writer is not None and writer.shared and stream == Stream.SYSTEM:
        records = _labelled(records, writer.label or writer.writer_id)
    # Validate and encode before taking the lock: it is the slow part. Only
    # system and console records take their steps from where they land.
    guess = run.stream_offset(stream)
    chunk = _encode(records, stream, guess, 0)
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        mine = RunWriter.objects.get(pk=writer.pk) if writer is not None else None
        expected = (mine or locked).stream_offset(stream)
        if offset > expected:
            raise Conflict(
                f"Gap in the {stream.label} stream: expected offset {expected}, got {offset}.",
                expected_offset=expected,
            )
        skip = 0
        if offset < expected:
            skip = min(len(records), expected - offset)
            _retry_check(locked, stream, mine, offset, records[:skip])
            if skip == len(records):
                return Appended(expected, 0)
            records = records[skip:]
        at = locked.stream_offset(stream)
        if skip or (at != guess and stream != Stream.HISTORY):
            chunk = _encode(records, stream, at, skip)
        HistoryChunk.objects.create(
            run=locked,
            stream=stream,
            first_offset=at,
            writer=mine,
            writer_offset=expected,
            row_count=chunk.row_count,
            step_min=chunk.step_min,
            step_max=chunk.step_max,
            payload=chunk.payload,
        )
        now = timezone.now()
        _run_appended(locked, stream, chunk, records, now)
        if mine is not None:
            setattr(mine, f"{stream.label}_offset", expected + len(records))
            mine.heartbeat_at = now
            if mine.state == RunState.CRASHED:
                mine.state = RunState.RUNNING
            mine.save(update_fields=[f"{stream.label}_offset", "heartbeat_at", "state"])
        if stream != Stream.CONSOLE and history_appended.has_listeners(Run):
            _announce(locked, stream, chunk)
    INGEST_ROWS.labels(stream=stream.label).inc(len(records))
    return Appended(expected + len(records), len(records))


def _announce(run: Run, stream: Stream, chunk: EncodedChunk) -> None:
    """Listeners (alert thresholds) hear of the batch's numbers once it is committed."""
    numeric = {k: v for k, v in chunk.numeric.items() if k != TIME_KEY}
    if numeric:
        run_pk, project_id, label = run.pk, run.project_id, stream.label
        transaction.on_commit(
            lambda: history_appended.send(
                sender=Run, run_pk=run_pk, project_id=project_id, stream=label, numeric=numeric
            )
        )


def run_alive(run: Run, now: Any) -> None:
    run.heartbeat_at = now
    run.runtime = max(run.runtime, (now - run.created_at).total_seconds())
    if run.state == RunState.CRASHED:
        # Declared dead too early (a long network outage): it is back.
        run.state = RunState.RUNNING


def _run_appended(run: Run, stream: Stream, chunk: EncodedChunk, records: list[Any], now: Any) -> None:
    """What a stored batch changes on its (locked) run: offsets, series, summary, media."""
    update_fields = [f"{stream.label}_offset", "heartbeat_at", "runtime", "state"]
    if stream != Stream.CONSOLE:
        _series_update(run, stream, chunk)
    if stream == Stream.HISTORY:
        media.media_from_history(run=run, records=records, keys=media.media_keys_of(chunk))
        pinned = set(run.summary_pinned)
        changes = {k: v for k, v in chunk.last_values.items() if k not in pinned}
        if changes:
            run.summary = {**run.summary, **changes}
            update_fields.append("summary")
        if run.last_step is None or chunk.step_max > run.last_step:
            run.last_step = chunk.step_max
            update_fields.append("last_step")
    setattr(run, f"{stream.label}_offset", run.stream_offset(stream) + chunk.row_count)
    run_alive(run, now)
    run.save(update_fields=update_fields)


def _series_update(run: Run, stream: Stream, chunk: EncodedChunk) -> None:
    # A hidden numeric series of record times (values) by step, so charts can
    # put wall time or relative time on the x-axis: the summaries keep no times.
    decoded = decode_chunk(chunk.payload, ())
    chunk.numeric[TIME_KEY] = (decoded.steps, decoded.times)
    chunk.key_counts[TIME_KEY] = chunk.row_count
    keys = [k for k in chunk.keys if k != TIME_KEY] + [TIME_KEY]
    existing = {s.key: s for s in HistorySeries.objects.filter(run=run, stream=stream, key__in=keys)}
    created: list[HistorySeries] = []
    changed: list[HistorySeries] = []
    for key in keys:
        series = existing.get(key)
        if series is None:
            series = HistorySeries(run=run, stream=stream, key=key, count=0, summary=b"")
            created.append(series)
        else:
            changed.append(series)
        series.count += chunk.key_counts[key]
        numeric = chunk.numeric.get(key)
        if numeric is not None:
            steps, values = numeric
            summary = SeriesSummary.from_bytes(bytes(series.summary)) if series.summary else SeriesSummary()
            summary.update(steps, values)
            series.summary = summary.to_bytes()
    if created:
        HistorySeries.objects.bulk_create(created)
    if changed:
        HistorySeries.objects.bulk_update(changed, ["count", "summary"])
