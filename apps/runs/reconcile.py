"""Reconciliation: find the work that should have been done and was not, and do it.

The outbox (apps/core/outbox.py) keeps a task until a worker has run it, but
work can still be missed: a task that failed for good, a record deleted by
hand, a server from before the outbox, a run that crashed (crashed runs are
never finished, so nothing queued their compaction). `runs.reconcile` runs
every `CAIRN_RECONCILE_INTERVAL` seconds and each round does a bounded share:

- finished (or crashed) runs whose history still has chunks to merge long after
  they ended: their compaction is queued again;
- media still pending long after they were queued: counted here, queued again
  by `runs.media_requeue` (apps/runs/media/services.py), which already runs
  every half minute;
- stored objects under a deleted run's (or project's) prefix, `runs/<org>/<project>/<run>/`
  and `thumbnails/runs/...`, on local disk or S3 alike: listed through the
  storage API and deleted, a batch at a time, resuming where the last round stopped.

What each round found is counted in `cairn_reconciled_total{kind}` (docs/deploy.md).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.utils import timezone

from apps.core.models import PendingTask, ScanCursor
from apps.core.observability import RECONCILED
from apps.core.tasks import enqueue_on_commit
from apps.runs.history import TARGET_ROWS, run_history_mergeable
from apps.runs.models import HistoryChunk, Media, MediaStatus, Project, Run, RunState

log = logging.getLogger(__name__)

COMPACT_TASK = "runs.compact_history"
# The prefixes runs' objects live under (run_file_storage_name, media's thumbnail_name).
STORAGE_ROOTS = ("runs/", "thumbnails/runs/")
CURSOR = "runs.reconcile.storage"


@dataclass
class Found:
    uncompacted: int = 0
    media_stale: int = 0
    orphan_objects: int = 0


def reconcile(*, runs_limit: int = 200, projects_limit: int = 200, delete_limit: int = 1000) -> Found:
    """One round of every check, each bounded; returns what it found (and fixed)."""
    found = Found(
        uncompacted=uncompacted_runs_queue(limit=runs_limit),
        media_stale=media_stale_count(),
        orphan_objects=orphan_objects_delete(projects_limit=projects_limit, delete_limit=delete_limit),
    )
    for kind, count in vars(found).items():
        if count:
            RECONCILED.labels(kind=kind).inc(count)
    return found


# -- history never compacted ----------------------------------------------------------


def uncompacted_runs_queue(*, limit: int) -> int:
    """Queue compaction of runs ended `CAIRN_RECONCILE_AFTER` ago whose chunks can still merge."""
    cutoff = timezone.now() - timedelta(seconds=settings.CAIRN_RECONCILE_AFTER)
    ended = Q(run__finished_at__lt=cutoff) | Q(run__state=RunState.CRASHED, run__heartbeat_at__lt=cutoff)
    # Two small chunks of one stream: a compacted run has none (or they cannot merge: checked below).
    candidates = list(
        HistoryChunk.objects.filter(ended, row_count__lt=TARGET_ROWS)
        .values("run_id", "stream").annotate(n=Count("id")).filter(n__gt=1)
        .order_by("run_id").values_list("run_id", flat=True).distinct()[: limit * 4]
    )
    waiting = _compactions_waiting()
    queued = 0
    for run_pk in dict.fromkeys(candidates):
        if queued >= limit:
            break
        if run_pk in waiting or not run_history_mergeable(run_pk=run_pk):
            continue
        enqueue_on_commit(COMPACT_TASK, run_pk)
        queued += 1
    return queued


def _compactions_waiting() -> set[int]:
    args = PendingTask.objects.filter(name=COMPACT_TASK).values_list("args", flat=True)[:10_000]
    return {a[0] for a in args if a and isinstance(a[0], int)}


# -- media pending too long -------------------------------------------------------------


def media_stale_count() -> int:
    """Media pending twice their requeue delay: what `runs.media_requeue` has not yet got through."""
    cutoff = timezone.now() - timedelta(seconds=2 * settings.CAIRN_MEDIA_REQUEUE_AFTER)
    return Media.objects.filter(status=MediaStatus.PENDING, queued_at__lt=cutoff).count()


# -- objects of deleted runs ------------------------------------------------------------


def _listdir(prefix: str) -> tuple[list[str], list[str]]:
    try:
        dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:  # local disk: nothing was ever stored there
        return [], []
    return sorted(dirs), sorted(files)


def _numeric(names: list[str]) -> list[int]:
    return sorted(int(n) for n in names if n.isdigit() and len(n) < 19)


def _walk(prefix: str) -> Iterator[str]:
    dirs, files = _listdir(prefix)
    for name in files:
        yield prefix + name
    for name in dirs:
        yield from _walk(f"{prefix}{name}/")


def _projects() -> Iterator[tuple[str, str]]:
    """(position, prefix) of every project folder in storage, in a stable order."""
    for index, root in enumerate(STORAGE_ROOTS):
        for org in _numeric(_listdir(root)[0]):
            for project in _numeric(_listdir(f"{root}{org}/")[0]):
                # Zero-padded: positions compare in the walk's order.
                yield f"{index}/{org:019d}/{project:019d}", f"{root}{org}/{project}/"


def _delete_under(prefix: str, budget: int) -> tuple[int, bool]:
    """Delete up to `budget` objects under `prefix`; returns (deleted, whether all are gone)."""
    deleted = 0
    for name in _walk(prefix):
        if deleted >= budget:
            return deleted, False
        default_storage.delete(name)
        deleted += 1
    _remove_empty_folders(prefix)
    return deleted, True


def _remove_empty_folders(prefix: str) -> None:
    # Local disk keeps folders once their files are gone; object stores have none.
    path_of = getattr(default_storage, "path", None)
    if path_of is None:
        return
    try:
        top = path_of(prefix)
    except NotImplementedError:
        return
    for folder, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
        try:
            os.rmdir(folder)
        except OSError:
            pass  # not empty: a file arrived meanwhile


def orphan_objects_delete(*, projects_limit: int, delete_limit: int) -> int:
    """Delete stored objects whose run no longer exists; a share of the project folders each round."""
    cursor, _ = ScanCursor.objects.get_or_create(name=CURSOR)
    deleted = 0
    seen = 0
    position = cursor.position
    finished = True
    for pos, prefix in _projects():
        if pos <= cursor.position:
            continue
        if seen >= projects_limit or deleted >= delete_limit:
            finished = False
            break
        seen += 1
        project_pk = int(prefix.rstrip("/").rsplit("/", 1)[1])
        if not Project.objects.filter(pk=project_pk).exists():
            gone, whole = _delete_under(prefix, delete_limit - deleted)
        else:
            run_pks = _numeric(_listdir(prefix)[0])
            alive = set(Run.objects.filter(pk__in=run_pks).values_list("pk", flat=True))
            gone, whole = 0, True
            for run_pk in run_pks:
                if run_pk not in alive:
                    n, whole = _delete_under(f"{prefix}{run_pk}/", delete_limit - deleted - gone)
                    gone += n
                    if not whole:
                        break
        deleted += gone
        if not whole:
            finished = False  # this project again next round
            break
        position = pos
    # Past the last folder: the next round starts from the beginning.
    ScanCursor.objects.filter(name=CURSOR).update(position="" if finished else position)
    if deleted:
        log.warning("reconcile: deleted %d stored objects of deleted runs", deleted)
    return deleted
