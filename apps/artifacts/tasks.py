"""Celery tasks of the artifacts app: thin, idempotent, bounded (apps/artifacts/maintenance.py)."""

from __future__ import annotations

from celery import shared_task

from apps.artifacts import maintenance


@shared_task(name="artifacts.collect_garbage", time_limit=900, soft_time_limit=840)
def collect_garbage() -> int:
    return maintenance.blobs_collect()


@shared_task(name="artifacts.verify_blobs", time_limit=900, soft_time_limit=840)
def verify_blobs() -> dict[str, int]:
    return maintenance.blobs_verify()


@shared_task(name="artifacts.check_references", time_limit=900, soft_time_limit=840)
def check_references() -> dict[str, int]:
    return maintenance.references_check()
