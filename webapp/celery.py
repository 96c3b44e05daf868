"""The Celery app: queues and periodic schedules in one place."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import Celery, bootsteps, signals
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

# Every task names its queue from this list; workers subscribe with -Q.
QUEUE_DEFAULT = "default"
QUEUE_HISTORY = "history"
QUEUE_FILES = "files"
QUEUE_MEDIA = "media"  # validation and thumbnails of uploaded media
QUEUE_SCORING = "scoring"  # benchmark submissions
QUEUES = (QUEUE_DEFAULT, QUEUE_HISTORY, QUEUE_FILES, QUEUE_MEDIA, QUEUE_SCORING)

# Each task's queue, by the name services queue it with (apps/core/tasks.py).
TASK_QUEUES = {
    "core.resend_pending_tasks": QUEUE_DEFAULT,
    "runs.mark_dead_runs": QUEUE_DEFAULT,
    "runs.compact_history": QUEUE_HISTORY,
    "runs.delete_stored_files": QUEUE_FILES,
    "runs.media_process": QUEUE_MEDIA,
    "runs.media_requeue": QUEUE_MEDIA,
    "runs.reconcile": QUEUE_FILES,
    "benchmarks.score_submission": QUEUE_SCORING,
    "artifacts.collect_garbage": QUEUE_FILES,
    "artifacts.verify_blobs": QUEUE_FILES,
    "artifacts.check_references": QUEUE_FILES,
    # Alerts: sends are short (a few seconds at most) and must not wait behind history or media.
    "alerts.deliver": QUEUE_DEFAULT,
    "alerts.check_stalled": QUEUE_DEFAULT,
    "sweeps.expire_trials": QUEUE_DEFAULT,
    "sweeps.early_terminate": QUEUE_DEFAULT,
    "sweeps.compute_importance": QUEUE_DEFAULT,
    # Invitations and password resets: a person is waiting for the mail.
    "orgs.send_email": QUEUE_DEFAULT,
}

app = Celery("cairn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in QUEUES]
app.conf.task_default_queue = QUEUE_DEFAULT
app.conf.task_routes = {name: {"queue": queue} for name, queue in TASK_QUEUES.items()}
DEAD_RUN_CHECK_INTERVAL = float(os.environ.get("CAIRN_DEAD_RUN_CHECK_INTERVAL", "30"))
SWEEP_CHECK_INTERVAL = float(os.environ.get("CAIRN_SWEEP_CHECK_INTERVAL", "10"))
ARTIFACT_UPKEEP_INTERVAL = float(os.environ.get("CAIRN_ARTIFACT_UPKEEP_INTERVAL", "3600"))
RECONCILE_INTERVAL = float(os.environ.get("CAIRN_RECONCILE_INTERVAL", "600"))
ALERT_STALL_CHECK_INTERVAL = float(os.environ.get("CAIRN_ALERT_STALL_CHECK_INTERVAL", "60"))
# Production runs one `celery beat` for these.
app.conf.beat_schedule = {
    # The outbox (apps/core/outbox.py): what the broker never took or lost, sent again.
    "resend-pending-tasks": {"task": "core.resend_pending_tasks", "schedule": DEAD_RUN_CHECK_INTERVAL},
    "mark-dead-runs": {
        "task": "runs.mark_dead_runs",
        "schedule": DEAD_RUN_CHECK_INTERVAL,
    },
    # Sweeps: trials whose agent vanished, and hyperband's verdicts (apps/sweeps).
    "sweeps-expire-trials": {"task": "sweeps.expire_trials", "schedule": DEAD_RUN_CHECK_INTERVAL},
    "sweeps-early-terminate": {"task": "sweeps.early_terminate", "schedule": SWEEP_CHECK_INTERVAL},
    "requeue-stale-media": {
        "task": "runs.media_requeue",
        "schedule": DEAD_RUN_CHECK_INTERVAL,
    },
    # Missed work (apps/runs/reconcile.py): uncompacted runs, stale media, objects of deleted runs.
    "runs-reconcile": {"task": "runs.reconcile", "schedule": RECONCILE_INTERVAL},
    # Artifacts' upkeep (apps/artifacts/maintenance.py): each call does a bounded share.
    "artifacts-collect-garbage": {"task": "artifacts.collect_garbage", "schedule": ARTIFACT_UPKEEP_INTERVAL},
    "artifacts-verify-blobs": {"task": "artifacts.verify_blobs", "schedule": ARTIFACT_UPKEEP_INTERVAL},
    "artifacts-check-references": {"task": "artifacts.check_references", "schedule": ARTIFACT_UPKEEP_INTERVAL},
    # Stalled runs (apps/alerts/evaluation.py): only projects with a stall rule are looked at.
    "alerts-check-stalled": {"task": "alerts.check_stalled", "schedule": ALERT_STALL_CHECK_INTERVAL},
}


class EmbeddedSchedule(bootsteps.StartStopStep):
    """The embedded server's periodic tasks, on the worker's own timer.

    `make run` has a single worker; a separate beat process would cost as
    much memory as the worker itself for one task every half minute.
    Enabled by CAIRN_EMBEDDED_SCHEDULE=true (set by webapp.serve).
    """

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        self.enabled = os.environ.get("CAIRN_EMBEDDED_SCHEDULE", "").lower() == "true"
        self.entry: Any = None
        self.last_sent: dict[str, float] = {}

    def start(self, worker: Any) -> None:
        if self.enabled:
            self.send_due()  # at once too: dead runs found and readiness green right after a start
            self.entry = worker.timer.call_repeatedly(DEAD_RUN_CHECK_INTERVAL, self.send_due)

    def send_due(self) -> None:
        now = time.monotonic()
        for key, entry in app.conf.beat_schedule.items():
            if now - self.last_sent.get(key, -1e12) >= float(entry["schedule"]) - 1:  # each at its own pace
                try:
                    app.send_task(entry["task"], retry=False)
                except Exception:  # the broker is down: the next round tries again
                    logging.getLogger(__name__).warning("cannot send %s", entry["task"], exc_info=True)
                    return
                self.last_sent[key] = now

    def stop(self, worker: Any) -> None:
        if self.entry is not None:
            self.entry.cancel()


app.steps["worker"].add(EmbeddedSchedule)
app.autodiscover_tasks(["apps.core", "apps.orgs", "apps.runs", "apps.reports", "apps.benchmarks", "apps.artifacts", "apps.alerts", "apps.sweeps"])


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_connections(**kwargs: Any) -> None:
    """Between tasks, as Django does between requests: drop a database
    connection that is past its age or broke (settings.CELERY_DB_REUSE_MAX
    stops Celery from closing it around every task)."""
    task = kwargs.get("task")
    if task is not None and getattr(task.request, "is_eager", False):
        return  # run inline, inside the caller's transaction: not ours to touch
    from django.db import close_old_connections as close

    close()


_task_started: dict[str, float] = {}


@signals.task_prerun.connect
def outbox_task_started(task_id: str | None = None, **kwargs: Any) -> None:
    from apps.core.outbox import pending_task_started

    if task_id:
        _task_started[task_id] = time.perf_counter()
    pending_task_started(task_id=task_id)


@signals.task_postrun.connect
def outbox_task_ended(task_id: str | None = None, state: str | None = None, retval: Any = None, **kwargs: Any) -> None:
    """A task queued through the outbox leaves it when it succeeds (apps/core/outbox.py)."""
    from apps.core.observability import TASK_DURATION, TASKS
    from apps.core.outbox import pending_task_ended

    task = kwargs.get("task")
    name = getattr(task, "name", None) or "unknown"
    TASKS.labels(task=name, state=state or "unknown").inc()
    started = _task_started.pop(task_id or "", None)
    if started is not None:
        TASK_DURATION.labels(task=name).observe(time.perf_counter() - started)
    pending_task_ended(task_id=task_id, state=state, error=repr(retval) if state == "FAILURE" else "")
