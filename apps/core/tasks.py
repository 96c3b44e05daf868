"""How services hand work to Celery: by task name, once the transaction commits.

The one rule: tasks import services; services never import tasks. A service
names the task it wants (`"runs.compact_history"`), and webapp/celery.py routes
each name to its queue, so no module imports its way round in a circle.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import transaction


def task_send(name: str, *args: Any) -> None:
    # Through the registered task, not send_task: eager mode (tests, CAIRN_TASKS_EAGER) runs it inline.
    current_app.tasks[name].apply_async(args=args)


def enqueue_on_commit(name: str, *args: Any, robust: bool = False) -> None:
    """Queue the task once the current transaction commits (at once outside one).

    `robust`: a broker that is down is logged, not raised, where the caller has
    another way to send the work later (media's requeue).
    """
    transaction.on_commit(lambda: task_send(name, *args), robust=robust)
