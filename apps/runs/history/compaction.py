"""Merge a run's many small chunks into few large ones.

A live run appends small batches (one every second or so); each becomes a
chunk. Once the run finishes, merging them makes storage smaller (better
compression) and exports faster. Idempotent: a run already compact is left
as it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db import transaction

from apps.runs.history import DecodedChunk, decode_chunk, encode_chunk
from apps.runs.models import HistoryChunk, Run, Stream

TARGET_ROWS = 10_000


def chunk_records(decoded: DecodedChunk, stream: Stream) -> list[dict[str, Any]]:
    if stream == Stream.CONSOLE:
        return [{"time": t, "stream": s, "line": line} for t, s, line in decoded.lines]
    steps = decoded.steps.tolist()
    times = decoded.times.tolist()
    records: list[dict[str, Any]] = [{"step": s, "time": t, "data": {}} for s, t in zip(steps, times)]
    for key, column in decoded.columns.items():
        values: list[Any]
        if isinstance(column.values, np.ndarray):
            # Keep integer-valued keys integers, so export writes 3, not 3.0.
            values = (column.values.astype(np.int64) if column.integer else column.values).tolist()
        else:
            values = column.values
        for row, value in zip(column.rows.tolist(), values):
            records[row]["data"][key] = value
    return records


# (pk, first_offset, rows, writer pk, writer_offset)
Chunk = tuple[int, int, int, Any, int]


def _follows(chunk: Chunk, previous: Chunk) -> bool:
    """Whether two chunks can become one: the same writer, back to back for it and for the run."""
    return (
        chunk[3] == previous[3]
        and chunk[1] == previous[1] + previous[2]
        and chunk[4] == previous[4] + previous[2]
    )


def _groups(chunks: list[Chunk]) -> list[list[Chunk]]:
    """Runs of consecutive chunks worth merging."""
    groups: list[list[Chunk]] = []
    current: list[Chunk] = []
    rows = 0
    for chunk in chunks:
        if current and (rows + chunk[2] > TARGET_ROWS or not _follows(chunk, current[-1])):
            groups.append(current)
            current, rows = [], 0
        current.append(chunk)
        rows += chunk[2]
    if current:
        groups.append(current)
    return [g for g in groups if len(g) > 1]


def run_history_mergeable(*, run_pk: int) -> bool:
    """Whether compaction would merge anything (chunks of other writers, or with gaps, stay apart)."""
    rows = HistoryChunk.objects.filter(run_id=run_pk).order_by("stream", "first_offset").values_list(
        "stream", "pk", "first_offset", "row_count", "writer_id", "writer_offset")
    streams: dict[int, list[Chunk]] = {}
    for stream, pk, first_offset, row_count, writer, writer_offset in rows:
        streams.setdefault(stream, []).append((pk, first_offset, row_count, writer, writer_offset))
    return any(_groups(chunks) for chunks in streams.values())


def run_history_compact(*, run_pk: int) -> int:
    """Returns how many chunks were merged away."""
    merged = 0
    for stream in Stream:
        with transaction.atomic():
            # The run lock keeps appends (a resumed run) out while we rewrite.
            run = Run.objects.select_for_update().filter(pk=run_pk).first()
            if run is None:
                return merged
            chunks = list(
                HistoryChunk.objects.filter(run=run, stream=stream)
                .order_by("first_offset")
                .values_list("pk", "first_offset", "row_count", "writer_id", "writer_offset")
            )
            for group in _groups(chunks):
                records: list[dict[str, Any]] = []
                payloads = dict(
                    HistoryChunk.objects.filter(pk__in=[c[0] for c in group]).values_list("pk", "payload")
                )
                for pk, *_ in group:
                    records.extend(chunk_records(decode_chunk(bytes(payloads[pk])), stream))
                encoded = encode_chunk(records, stream=stream.label, first_offset=group[0][1])
                HistoryChunk.objects.filter(pk__in=[c[0] for c in group]).delete()
                HistoryChunk.objects.create(
                    run=run,
                    stream=stream,
                    first_offset=group[0][1],
                    writer_id=group[0][3],
                    writer_offset=group[0][4],
                    row_count=encoded.row_count,
                    step_min=encoded.step_min,
                    step_max=encoded.step_max,
                    payload=encoded.payload,
                )
                merged += len(group) - 1
    return merged
