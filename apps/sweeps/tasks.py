"""Celery tasks of the sweeps app: thin, by id, idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from apps.sweeps import services


@shared_task(name="sweeps.expire_trials", time_limit=60, soft_time_limit=50)
def expire_trials() -> int:
    return services.trials_expire()


@shared_task(
    name="sweeps.compute_importance",
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def compute_importance(sweep_pk: int) -> int:
    from apps.sweeps import importance

    return importance.importance_update(sweep_pk=sweep_pk)


@shared_task(name="sweeps.early_terminate", time_limit=120, soft_time_limit=100)
def early_terminate() -> int:
    from apps.sweeps import hyperband

    return hyperband.early_terminate_all()
