"""The Celery app: queues and periodic schedules in one place."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

# Every task names its queue from this list; workers subscribe with -Q.
QUEUE_DEFAULT = "default"
QUEUE_HISTORY = "history"
QUEUE_FILES = "files"
QUEUES = (QUEUE_DEFAULT, QUEUE_HISTORY, QUEUE_FILES)

app = Celery("cairn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in QUEUES]
app.conf.task_default_queue = QUEUE_DEFAULT
app.conf.beat_schedule = {
    "mark-dead-runs": {
        "task": "runs.mark_dead_runs",
        "schedule": float(os.environ.get("CAIRN_DEAD_RUN_CHECK_INTERVAL", "30")),
        "options": {"queue": QUEUE_DEFAULT},
    },
}
app.autodiscover_tasks(["apps.runs"])
