"""How services hand work to Celery: by task name, once the transaction commits.

The one rule: tasks import services; services never import tasks. A service
names the task it wants (`"runs.compact_history"`), and webapp/celery.py routes
each name to its queue, so no module imports its way round in a circle.
Every task queued here goes through the outbox (apps/core/outbox.py): written
down in the caller's transaction, deleted when a worker has done it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from apps.core import outbox
from apps.core.models import SchedulerBeat

log = logging.getLogger(__name__)


def enqueue_on_commit(name: str, *args: Any) -> None:
    """Queue the task once the current transaction commits (at once outside one).

    A broker that is down is logged, not raised: the task stays in the outbox
    and `core.resend_pending_tasks` sends it when the broker is back.
    """
    outbox.pending_task_add(name, list(args))


def send_on_commit(name: str, *args: Any, on_refused: Callable[[], None] | None = None) -> None:
    """Send the task once the transaction commits, without an outbox record.

    Only for work whose own rows say what is pending and that a periodic task
    sends again (media: `queued_at` and `runs.media_requeue`). A broker that is
    down is logged, not raised, and `on_refused` lets the rows say so.
    """

    def send() -> None:
        try:
            outbox.task_send(name, list(args))
        except Exception:
            if outbox.eager():
                raise
            log.warning("broker refused task %s%s; sent again later", name, tuple(args), exc_info=True)
            if on_refused is not None:
                on_refused()

    transaction.on_commit(send, robust=not outbox.eager())


@shared_task(name="core.resend_pending_tasks", time_limit=120, soft_time_limit=100)
def resend_pending_tasks() -> int:
    SchedulerBeat.objects.update_or_create(name="core.resend_pending_tasks", defaults={"ran_at": timezone.now()})
    return outbox.pending_tasks_resend()
