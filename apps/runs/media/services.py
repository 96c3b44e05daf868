"""Media: the rows that track logged media, and the work a worker does on them.

A media item has two halves that arrive in either order: the history row
holding its reference (`{"_type": "image", "path": "media/...", ...}`) and
the file, uploaded to that path. Each half is stored with the run's row
locked, and whichever comes second queues `runs.media_process`
(on commit), so the order of arrival does not matter and neither is missed.
The task validates the bytes (apps/runs/checks.py), makes the
thumbnail or poster frame, and marks the row `ready` or `failed` with the
reason. It never deletes the upload. See docs/media.md.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from apps.core import outbox
from apps.core.errors import BadInput
from apps.core.tasks import send_on_commit
from apps.core.validation import file_path_check
from apps.runs.media import checks
from apps.runs.models import Media, MediaKind, MediaStatus, Project, Run, RunFile

MEDIA_PREFIX = "media/"
GALLERY = "images"
MEDIA_LIST = "media-list"
KINDS = frozenset(MediaKind.values)
MAX_CAPTION = 10_000


def _queue(pks: list[int], *, marked: bool = False) -> None:
    """Queue processing once the transaction that made the rows commits (`marked`: queued_at set already)."""
    if not pks:
        return
    if not marked:
        Media.objects.filter(pk__in=pks).update(queued_at=timezone.now())
    # Not through the outbox: the rows are their own record of pending work
    # (queued_at), and media_requeue sends again what waited too long, or at
    # once what the broker refused (queued_at set far back).
    for pk in pks:
        send_on_commit("runs.media_process", pk, on_refused=functools.partial(_queued_never, pk))


def _queued_never(pk: int) -> None:
    Media.objects.filter(pk=pk).update(queued_at=NEVER_QUEUED)


# -- the history half --------------------------------------------------------------


def media_keys_of(chunk: Any) -> list[str]:
    """Keys of an encoded history chunk that hold something besides numbers: where references can be."""
    return [
        k for k in chunk.keys
        if k not in chunk.numeric or chunk.key_counts.get(k, 0) > len(chunk.numeric[k][0])
    ]


def _references(records: Iterable[Any], keys: list[str]) -> list[tuple[str, int, int, dict[str, Any]]]:
    found: list[tuple[str, int, int, dict[str, Any]]] = []
    for record in records:
        data = record.get("data")
        if not isinstance(data, dict):
            continue
        for key in keys:
            value = data.get(key)
            if type(value) is not dict:
                continue
            kind = value.get("_type")
            if kind == GALLERY and isinstance(value.get("items"), list):
                for i, item in enumerate(value["items"]):
                    if isinstance(item, dict):
                        found.append((key, record["step"], i, {**item, "_type": "image"}))
            elif kind == MEDIA_LIST and isinstance(value.get("items"), list):
                # A list of audio, video, ... logged under one key (W&B's lists of media).
                for i, item in enumerate(value["items"]):
                    if isinstance(item, dict) and item.get("_type") in KINDS:
                        found.append((key, record["step"], i, item))
            elif kind in KINDS:
                found.append((key, record["step"], 0, value))
    return found


def _path_problem(path: str) -> str:
    try:
        file_path_check(path)
    except BadInput as e:
        return f"Refused: the path {path[:200]!r} is not a file of the run: {e.detail}"
    if not path.startswith(MEDIA_PREFIX):
        return f"Refused: the path {path[:200]!r} is not under {MEDIA_PREFIX}."
    return ""


def media_from_history(*, run: Run, records: list[Any], keys: list[str]) -> int:
    """Media rows for the references in newly stored history records; the caller holds the run locked.

    Returns how many references there were.
    """
    if not keys:
        return 0
    refs = _references(records, keys)
    if not refs:
        return 0
    wanted: dict[str, Media] = {}
    for key, step, index, ref in refs:
        path = ref.get("path")
        if not isinstance(path, str) or not path:
            continue
        path = path[:1024]
        problem = _path_problem(path)
        wanted[path] = Media(
            run=run, key=key[:256], step=step, index=index, kind=ref["_type"], path=path,
            caption=str(ref.get("caption") or "")[:MAX_CAPTION],
            meta={k: v for k, v in ref.items() if k not in ("_type", "path", "caption")},
            status=MediaStatus.FAILED if problem else MediaStatus.PENDING, error=problem,
        )
    existing = {m.path: m for m in Media.objects.filter(run=run, path__in=list(wanted))}
    created = Media.objects.bulk_create([m for p, m in wanted.items() if p not in existing])
    changed = []
    for path, old in existing.items():
        new = wanted[path]
        if (old.key, old.step, old.index, old.kind, old.caption, old.meta) != (
            new.key, new.step, new.index, new.kind, new.caption, new.meta
        ):
            old.key, old.step, old.index, old.kind, old.caption, old.meta = (
                new.key, new.step, new.index, new.kind, new.caption, new.meta
            )
            changed.append(old)
    if changed:
        Media.objects.bulk_update(changed, ["key", "step", "index", "kind", "caption", "meta"])
    rows = created + list(existing.values())
    uploaded = set(
        RunFile.objects.filter(run=run, path__in=[m.path for m in rows if not m.error]).values_list("path", flat=True)
    )
    _queue([m.pk for m in rows if m.path in uploaded and m.status == MediaStatus.PENDING])
    return len(refs)


# -- the file half -----------------------------------------------------------------


def is_media_path(path: str) -> bool:
    return path.startswith(MEDIA_PREFIX)


def media_file_stored(*, run: Run, rf: RunFile) -> None:
    """A media file arrived (or changed); the caller holds the run locked. Process it if referenced."""
    pks = list(Media.objects.filter(run=run, path=rf.path).values_list("pk", flat=True))
    if pks:
        Media.objects.filter(pk__in=pks).update(status=MediaStatus.PENDING, error="", queued_at=timezone.now())
        _queue(pks, marked=True)


def media_upload_refused(*, run: Run, path: str, reason: str) -> None:
    """An upload to a media path was refused (over a limit): the user sees why on its row."""
    Media.objects.filter(run=run, path=path).update(
        status=MediaStatus.FAILED, error=f"Upload refused: {reason}", processed_at=timezone.now()
    )


# -- the worker --------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    pk: int
    run_pk: int
    kind: str
    status: str
    source_sha256: str
    project_pk: int
    org_pk: int
    sha256: str | None  # of its file; None: not uploaded yet
    storage_name: str | None


# The worker's reads and writes in plain SQL, two round trips an item on
# PostgreSQL: a 256 px image costs about 3 ms to check, and each further round
# trip or ORM-built query cost about as much again (bench/media_bench.py).
_ITEM_COLUMNS = "m.id, m.run_id, m.kind, m.status, m.source_sha256, r.project_id, p.organization_id, f.sha256, f.storage_name"
_ITEM_JOINS = (
    f" JOIN {Run._meta.db_table} r ON r.id = m.run_id"
    f" JOIN {Project._meta.db_table} p ON p.id = r.project_id"
    f" LEFT JOIN {RunFile._meta.db_table} f ON f.run_id = m.run_id AND f.path = m.path"
)
# A task that will work on the item counts an attempt; one finding it done changes nothing.
_ATTEMPT_SQL = (
    f"UPDATE {Media._meta.db_table} SET attempts = attempts + CASE WHEN status = '{MediaStatus.PENDING.value}'"
    " THEN 1 ELSE 0 END WHERE id = %s"
)


def _item_start(media_pk: int) -> _Item | None:
    """Count a task's attempt on the item and read it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH m AS ({_ATTEMPT_SQL} RETURNING *) SELECT {_ITEM_COLUMNS} FROM m{_ITEM_JOINS}", [media_pk])
        else:
            cursor.execute(_ATTEMPT_SQL, [media_pk])
            cursor.execute(f"SELECT {_ITEM_COLUMNS} FROM {Media._meta.db_table} m{_ITEM_JOINS} WHERE m.id = %s", [media_pk])
        row = cursor.fetchone()
    return _Item(*row) if row else None


def thumbnail_name(item: _Item, ext: str) -> str:
    # The layout of run_file_storage_name, under thumbnails/: beside the run's
    # files but outside their namespace, so no upload can collide with it.
    assert item.sha256 is not None
    return f"thumbnails/runs/{item.org_pk}/{item.project_pk}/{item.run_pk}/{item.pk}-{item.sha256[:16]}.{ext}"


def media_process(*, media_pk: int, last_try: bool = False) -> str:
    """Validate one media item and make its thumbnail; idempotent. Returns what it did.

    Refusals are final (`failed`, with the reason). Other errors (storage,
    database) propagate so the task is retried; on the last try the item is
    marked failed instead. The upload itself is never touched.
    """
    item = _item_start(media_pk)
    if item is None:
        return "gone"
    if item.sha256 is None or item.storage_name is None:
        return "waiting for the file"
    if item.status != MediaStatus.PENDING and item.source_sha256 == item.sha256:
        return "done already"
    try:
        with tempfile.SpooledTemporaryFile(max_size=8 << 20) as local:
            with default_storage.open(item.storage_name, "rb") as stored:
                shutil.copyfileobj(stored, local, 1 << 20)
            size = local.tell()
            try:
                facts = checks.check(item.kind, local, size)
            except checks.Refused as e:
                _done(item, status=MediaStatus.FAILED, error=str(e), size=size)
                return "failed"
        thumbnail = ""
        if facts.thumbnail is not None:
            thumbnail = thumbnail_name(item, facts.thumbnail_ext)
            # The name is the content's: one already there whole is this very thumbnail.
            if not default_storage.exists(thumbnail) or default_storage.size(thumbnail) != len(facts.thumbnail):
                if default_storage.exists(thumbnail):
                    default_storage.delete(thumbnail)
                thumbnail = default_storage.save(thumbnail, ContentFile(facts.thumbnail))
    except SoftTimeLimitExceeded:
        limit = settings.CAIRN_MEDIA_TASK_TIME_LIMIT
        _done(item, status=MediaStatus.FAILED, error=f"Processing took longer than {limit} s.")
        return "failed"
    except Exception as e:
        if last_try:
            _done(item, status=MediaStatus.FAILED, error=f"Could not be processed: {e!r}")
        raise
    if facts.cells:
        # Before the table is marked done: a task retried after this still makes them.
        media_table_cells(table_pk=item.pk, run_pk=item.run_pk, cells=facts.cells)
    _done(
        item, status=MediaStatus.READY, error="", size=size, content_type=facts.content_type,
        width=facts.width, height=facts.height, duration=facts.duration, thumbnail=thumbnail,
    )
    return "ready"


def media_table_cells(*, table_pk: int, run_pk: int, cells: list[tuple[int, int, str]]) -> int:
    """Image rows for a table's image cells (row, col, path), processed like any image; returns how many are new.

    They carry the table's key and step and point at it (`Media.table`), so the
    panels list the table, not its cells. With the run locked, as the upload of
    a file is: the cell's file is processed whether it arrived before or after.
    A path that is not a media file of the run, or the file of another item,
    gets no row: the web shows such a cell as text.
    """
    with transaction.atomic():
        Run.objects.select_for_update().filter(pk=run_pk).values_list("pk", flat=True).first()
        table = Media.objects.filter(pk=table_pk).values("key", "step").first()
        if table is None:
            return 0
        wanted: dict[str, tuple[int, int]] = {}
        for row, col, path in cells:
            if path not in wanted and not _path_problem(path):
                wanted[path] = (row, col)
        taken = set(Media.objects.filter(run_id=run_pk, path__in=list(wanted)).values_list("path", flat=True))
        new = [
            Media(run_id=run_pk, key=table["key"], step=table["step"], kind=MediaKind.IMAGE, path=path,
                  table_id=table_pk, meta={"row": row, "col": col})
            for path, (row, col) in wanted.items() if path not in taken
        ]
        Media.objects.bulk_create(new, batch_size=500)
        uploaded = RunFile.objects.filter(run_id=run_pk, path__in=[m.path for m in new]).values_list("path", flat=True)
        _queue(list(
            Media.objects.filter(run_id=run_pk, table_id=table_pk, path__in=list(uploaded), status=MediaStatus.PENDING)
            .values_list("pk", flat=True)
        ))
    return len(new)


def _done(item: _Item, **fields: Any) -> None:
    # Only while the row still asks for this content: a newer upload queued its own task.
    fields["source_sha256"] = item.sha256
    fields["processed_at"] = connection.ops.adapt_datetimefield_value(timezone.now())
    assignments = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in fields)  # columns are the field names
    _write(
        f"UPDATE {Media._meta.db_table} SET {assignments} WHERE id = %s AND status = %s",
        [*fields.values(), item.pk, MediaStatus.PENDING.value],
    )


def _write(sql: str, params: list[Any]) -> None:
    # One statement in autocommit: one round trip. The worker is database
    # bound on round trips (a thumbnail takes ~3 ms of CPU), not on commits.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# queued_at of an item whose message the broker refused: the next requeue sends it.
NEVER_QUEUED = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)


def media_requeue_stale(*, older_than_seconds: float, limit: int = 1000) -> int:
    """Queue again what has waited too long: a worker killed mid-task, a broker that lost a message.

    With the media queue empty nothing can be waiting in it: an item pending
    for `outbox.LOST_AFTER` was lost (a broker restart), so it goes again then
    rather than after `older_than_seconds`.
    """
    if outbox.queue_size(outbox.queue_of("runs.media_process")) == 0:
        older_than_seconds = min(older_than_seconds, outbox.LOST_AFTER.total_seconds())
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pks = list(
        Media.objects.filter(status=MediaStatus.PENDING, queued_at__lt=cutoff)
        .order_by("queued_at")
        .values_list("pk", flat=True)[:limit]
    )
    with transaction.atomic():
        _queue(pks)
    return len(pks)
