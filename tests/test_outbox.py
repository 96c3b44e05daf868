"""The task outbox: a broker that is down or loses a message delays work, never drops it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from celery import current_app
from django.db import transaction
from django.utils import timezone

from apps.core import outbox
from apps.core.models import PendingTask
from apps.core.tasks import enqueue_on_commit
from tests.ci import unavailable
from tests.factories import World, run_create, world_create
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_BROKER = "redis://127.0.0.1:9/0"  # the discard port: nothing listens


@pytest.fixture
def world() -> World:
    return world_create()


@pytest.fixture(autouse=True)
def eager_tasks() -> Iterator[None]:
    """A worker's part, run inline: what is sent runs at once."""
    conf = current_app.conf
    before = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager = conf.task_eager_propagates = True
    yield
    conf.task_always_eager, conf.task_eager_propagates = before


@pytest.fixture
def broker_down(eager_tasks: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The web process's broker is unreachable; tasks are not run inline."""
    conf = current_app.conf
    saved = conf.task_always_eager, conf.broker_url, conf.broker_transport
    monkeypatch.setenv("CELERY_BROKER_URL", DEAD_BROKER)  # Celery reads it before its settings
    # (the embedded broker's transport class goes too: it would serve any URL)
    conf.task_always_eager, conf.broker_url, conf.broker_transport = False, DEAD_BROKER, None
    _fresh_pool()
    yield
    monkeypatch.undo()
    conf.task_always_eager, conf.broker_url, conf.broker_transport = saved
    _fresh_pool()


def _fresh_pool() -> None:
    """Publish through connections to the broker now configured."""
    current_app._pool = None
    current_app.amqp._producer_pool = None


def _broker_back() -> None:
    current_app.conf.task_always_eager = True  # the worker runs what it is sent


def _finished_run(world: World) -> int:
    from apps.runs import services

    run = run_create(world.private)
    services.run_finish(run=run, state="finished", exit_code=0)
    return int(run.pk)


def test_a_task_done_leaves_nothing_behind(world: World) -> None:
    run_pk = _finished_run(world)  # queues runs.compact_history, run inline here
    assert run_pk
    assert PendingTask.objects.count() == 0


def test_finish_succeeds_with_the_broker_down_and_compaction_runs_when_it_is_back(world: World, broker_down: None) -> None:
    from apps.runs.models import Run

    run_pk = _finished_run(world)  # no exception: the finish commits
    assert Run.objects.get(pk=run_pk).state == "finished"
    waiting = PendingTask.objects.get()
    assert (waiting.name, waiting.args, waiting.sent_at) == ("runs.compact_history", [run_pk], None)
    assert outbox.pending_tasks_resend() == 0  # too fresh to count as lost, and the broker is still down
    PendingTask.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    assert outbox.pending_tasks_resend() == 0  # still down: kept for the next round
    _broker_back()
    assert outbox.pending_tasks_resend() == 1
    assert PendingTask.objects.count() == 0  # the worker ran it and it left the outbox


def test_a_task_queued_in_a_transaction_that_rolls_back_is_forgotten(world: World, broker_down: None) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit("runs.compact_history", 1)
        raise RuntimeError("the change failed")
    assert PendingTask.objects.count() == 0


def test_a_message_the_broker_lost_is_sent_again() -> None:
    """Redis restarted without persistence: the queued message is gone, the outbox still holds the task."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        unavailable("needs CELERY_BROKER_URL=redis://...")
    conf = current_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = False
    queue = "history"
    try:
        with current_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
            outbox.pending_task_add("runs.compact_history", [987654])  # autocommit: sent at once
            task = PendingTask.objects.get()
            assert task.sent_at is not None and outbox.queue_size(queue) == 1
            conn.default_channel.queue_purge(queue)  # the restart
            PendingTask.objects.update(sent_at=timezone.now() - timedelta(minutes=2), created_at=timezone.now() - timedelta(minutes=2))
            assert outbox.pending_tasks_resend() == 1
            assert outbox.queue_size(queue) == 1
            assert outbox.pending_tasks_resend() == 0  # just sent: not lost again
            conn.default_channel.queue_purge(queue)
    finally:
        conf.task_always_eager = saved
        PendingTask.objects.all().delete()


def test_readiness_names_the_dependency_that_is_down(world: World, broker_down: None) -> None:
    from django.test import Client

    down = Client().get("/api/v1/ready")
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "unready"
    assert body["checks"]["broker"] == "unreachable" and body["checks"]["database"] == "ok"
    assert body["checks"]["scheduler"] == "never ran"
    assert "9/0" not in down.content.decode() and "redis" not in down.content.decode()


@pytest.mark.server
def test_readiness_is_green_on_a_running_server_once_its_periodic_tasks_ran(cairn_server: ServerProcess) -> None:
    deadline = time.monotonic() + 60
    while (ready := requests.get(f"{cairn_server.url}/api/v1/ready", timeout=10)).status_code != 200:
        assert time.monotonic() < deadline, ready.text
        time.sleep(0.5)
    body = ready.json()
    assert body["checks"] == {"database": "ok", "broker": "ok", "storage": "ok", "scheduler": "ok"}
    assert body["scheduler_age_s"] < 60 and body["tasks"]["failed"] == 0
