"""The task outbox: every task a service queues is written down first.

`enqueue_on_commit` stores a `PendingTask` in the caller's transaction and
hands it to the broker once that commits. A worker deletes it when the task
succeeds. What the broker never took (down, unreachable) or lost (a restart
without persistence, a worker killed mid-task) is sent again by the periodic
`core.resend_pending_tasks`, so an outage delays work and never drops it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core.models import TASK_ID_PREFIX, PendingTask

log = logging.getLogger(__name__)

# A task that failed this many deliveries (each after its own retries) stays
# in the table, visible to readiness, and is not sent again.
MAX_FAILURES = 3
# How long a message the broker took may wait before it counts as lost when
# its queue is empty (a worker may have reserved it just now).
LOST_AFTER = timedelta(seconds=30)
# Longer than any task's retry backoff (runs' compaction backs off up to 10 minutes).
RETRY_LEASE = timedelta(minutes=15)


def eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def task_send(name: str, args: list[Any], *, task_id: str | None = None) -> None:
    # Through the registered task, not send_task: eager mode (tests, CAIRN_TASKS_EAGER) runs it inline.
    # retry=False: a request must not wait on a dead broker; whoever queued it sends it again.
    current_app.tasks[name].apply_async(args=args, task_id=task_id, retry=False)


def pending_task_add(name: str, args: list[Any]) -> None:
    """Record the task now; send it when the caller's transaction commits."""
    task = PendingTask.objects.create(name=name, args=args)
    # Eager (tests, CAIRN_TASKS_EAGER) runs it inline: its errors are the caller's.
    transaction.on_commit(lambda: pending_task_send(task), robust=not eager())


def pending_task_send(task: PendingTask) -> bool:
    """Hand one task to the broker; False (and logged) when the broker cannot take it."""
    # Marked sent first: a worker may start it before apply_async returns, and
    # its start must not look older than its sending.
    PendingTask.objects.filter(pk=task.pk).update(sent_at=timezone.now(), sends=F("sends") + 1)
    try:
        task_send(task.name, task.args, task_id=task.task_id)
    except Exception:
        if eager():
            raise
        PendingTask.objects.filter(pk=task.pk).update(sent_at=None)
        log.warning("broker refused task %s (%s); core.resend_pending_tasks sends it later", task, task.task_id, exc_info=True)
        return False
    return True


def _pending_pk(task_id: str | None) -> int | None:
    if not task_id or not task_id.startswith(TASK_ID_PREFIX):
        return None
    digits = task_id[len(TASK_ID_PREFIX):]
    return int(digits) if digits.isdigit() and len(digits) < 19 else None


def pending_task_started(*, task_id: str | None) -> None:
    pk = _pending_pk(task_id)
    if pk is not None:
        PendingTask.objects.filter(pk=pk).update(started_at=timezone.now())


def pending_task_ended(*, task_id: str | None, state: str | None, error: str = "") -> None:
    """Success deletes the record; a failure counts; a retry (the task queued itself again) keeps it."""
    pk = _pending_pk(task_id)
    if pk is None:
        return
    if state == "SUCCESS":
        PendingTask.objects.filter(pk=pk).delete()
    elif state == "FAILURE":
        PendingTask.objects.filter(pk=pk).update(failures=F("failures") + 1, last_error=error[:500], started_at=None)
    elif state == "RETRY":
        # Waiting out its backoff in a worker: not lost for that long (the started-at lease).
        PendingTask.objects.filter(pk=pk).update(started_at=timezone.now() + RETRY_LEASE)


def queue_of(task_name: str) -> str:
    """The broker queue a task is routed to (webapp/celery.py TASK_QUEUES)."""
    return str(current_app.conf.task_routes.get(task_name, {}).get("queue", current_app.conf.task_default_queue))


def queue_size(queue: str) -> int:
    """Messages waiting in `queue`; 0 when the broker has no such queue (never used, or lost in a restart)."""
    with current_app.connection_for_write() as conn:
        try:
            return int(conn.default_channel.queue_declare(queue=queue, passive=True).message_count)
        except Exception:  # passive declare of a missing queue is a channel error
            return 0


def _lost(task: PendingTask, *, now: Any, queue_sizes: dict[str, int]) -> bool:
    if task.sent_at is None:
        return True  # the commit hook never reached the broker
    limit = getattr(current_app.tasks.get(task.name), "time_limit", None) or 900
    if task.started_at is not None and task.started_at >= task.sent_at:
        # Started: lost only if its worker died and nobody finished it within its time limit.
        return bool(task.started_at < now - timedelta(seconds=limit + 60))
    if task.sent_at >= now - LOST_AFTER:
        return False
    queue = queue_of(task.name)
    if queue not in queue_sizes:
        queue_sizes[queue] = queue_size(queue)
    # Still queued behind others, or taken by the broker's unacked set: wait.
    # An empty queue cannot be holding it: the broker lost it.
    return queue_sizes[queue] == 0 or task.sent_at < now - timedelta(seconds=limit + 600)


def pending_tasks_resend(*, limit: int = 500) -> int:
    """Send again the tasks no worker has finished and the broker no longer holds. Returns how many."""
    now = timezone.now()
    candidates = (
        PendingTask.objects.filter(failures__lt=MAX_FAILURES, created_at__lt=now - timedelta(seconds=10))
        .filter(Q(sent_at__isnull=True) | Q(sent_at__lt=now - LOST_AFTER) | Q(started_at__isnull=False))
        .order_by("created_at")[:limit]
    )
    queue_sizes: dict[str, int] = {}
    sent = 0
    for task in candidates:
        if _lost(task, now=now, queue_sizes=queue_sizes):
            if not pending_task_send(task):
                break  # the broker is down: the next round tries again
            sent += 1
    return sent


def pending_tasks_summary() -> dict[str, int]:
    """What readiness shows: work waiting, and work that failed for good."""
    return {
        "waiting": PendingTask.objects.filter(failures__lt=MAX_FAILURES).count(),
        "failed": PendingTask.objects.filter(failures__gte=MAX_FAILURES).count(),
    }
