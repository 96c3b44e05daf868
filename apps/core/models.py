"""What the plumbing itself must remember: the work handed to Celery and not yet done."""

from __future__ import annotations

from django.db import models


class PendingTask(models.Model):
    """A task a service queued, kept until a worker has run it.

    Written in the same transaction as the change that needs it (an outbox),
    so a broker that is down, restarts or loses a message delays the work but
    never drops it: `core.resend_pending_tasks` sends again what no worker
    finished. Tasks are idempotent, so a second delivery is harmless.
    """

    name = models.CharField(max_length=100)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="last handed to the broker; null: never reached it")
    started_at = models.DateTimeField(null=True, blank=True, help_text="a worker began it (the last delivery)")
    sends = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0, help_text="deliveries that ended in an error")
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at"], name="core_pending_sent")]

    def __str__(self) -> str:
        return f"{self.name}{tuple(self.args)}"

    @property
    def task_id(self) -> str:
        return f"{TASK_ID_PREFIX}{self.pk}"


class SchedulerBeat(models.Model):
    """When the periodic tasks last ran: a scheduler (beat) sent them and a worker ran them.

    One row per periodic task name; readiness reports the oldest.
    """

    name = models.CharField(max_length=100, primary_key=True)
    ran_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.ran_at:%Y-%m-%d %H:%M:%S}"


TASK_ID_PREFIX = "pending-"


class ScanCursor(models.Model):
    """Where a periodic scan that does a bounded share each round stopped (the reconciliation's storage walk)."""

    name = models.CharField(max_length=100, primary_key=True)
    position = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.name} after {self.position!r}"
