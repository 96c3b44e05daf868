"""Celery tasks of the benchmarks app: thin, by id, idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from apps.benchmarks import services


@shared_task(
    name="benchmarks.score_submission",
    time_limit=60,
    soft_time_limit=50,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def score_submission(submission_id: int) -> str:
    return services.submission_score(submission_id=submission_id)
