"""Celery tasks of the alerts app: thin, by id, idempotent."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from apps.alerts import evaluation
from apps.alerts.delivery import RETRY, delivery_send


@shared_task(name="alerts.deliver", bind=True, time_limit=60, soft_time_limit=50, max_retries=None)
def deliver(self: Any, delivery_id: int) -> str:
    """One try of one delivery; tried again with exponential backoff, then marked failed."""
    tries = settings.CAIRN_ALERT_DELIVERY_TRIES
    retries = self.request.retries
    outcome = delivery_send(delivery_id=delivery_id, last_try=retries + 1 >= tries)
    # Run inline (tests, CAIRN_TASKS_EAGER), no worker comes back later: the next tries are now.
    while outcome == RETRY and self.request.is_eager:
        retries += 1
        outcome = delivery_send(delivery_id=delivery_id, last_try=retries + 1 >= tries)
    if outcome == RETRY:
        raise self.retry(countdown=settings.CAIRN_ALERT_RETRY_DELAY * 2**retries)
    return outcome


@shared_task(name="alerts.check_stalled", time_limit=300, soft_time_limit=280)
def check_stalled() -> int:
    return evaluation.stalled_check()
