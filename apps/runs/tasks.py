"""Celery tasks of the runs app: thin, by id, idempotent."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage

from apps.runs import history, media, reconcile, services


@shared_task(name="runs.mark_dead_runs", time_limit=60, soft_time_limit=50)
def mark_dead_runs() -> int:
    return services.runs_mark_crashed(older_than_seconds=settings.CAIRN_HEARTBEAT_TIMEOUT)


@shared_task(
    name="runs.compact_history",
    time_limit=900,
    soft_time_limit=840,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def compact_history(run_pk: int) -> int:
    return history.run_history_compact(run_pk=run_pk)


@shared_task(
    name="runs.delete_stored_files",
    time_limit=600,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def delete_stored_files(storage_names: list[str]) -> int:
    for name in storage_names:
        default_storage.delete(name)  # deleting a missing file is not an error
    return len(storage_names)


@shared_task(
    bind=True,
    name="runs.media_process",
    time_limit=settings.CAIRN_MEDIA_TASK_TIME_LIMIT + 15,
    soft_time_limit=settings.CAIRN_MEDIA_TASK_TIME_LIMIT,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=5,
)
def media_process(self: Any, media_pk: int) -> str:
    return media.media_process(media_pk=media_pk, last_try=self.request.retries >= (self.max_retries or 0))


@shared_task(name="runs.media_requeue", time_limit=60, soft_time_limit=50)
def media_requeue() -> int:
    return media.media_requeue_stale(older_than_seconds=settings.CAIRN_MEDIA_REQUEUE_AFTER)


@shared_task(name="runs.reconcile", time_limit=600, soft_time_limit=570)
def reconcile_missed_work() -> dict[str, int]:
    return vars(reconcile.reconcile())
