from __future__ import annotations

from collections.abc import Iterator

import pytest

from apps.alerts.evaluation import CACHE
from tests.alerts.receiver import Receiver
from tests.factories import World, world_create


@pytest.fixture(autouse=True)
def _tasks_eager() -> Iterator[None]:
    """Deliveries run in the request that queues them (as tests/media/conftest.py does)."""
    from webapp.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def world(settings: pytest.FixtureRequest) -> World:
    settings.CAIRN_ALERT_WEBHOOK_ALLOW = ["127.0.0.1/32"]  # type: ignore[attr-defined]
    settings.CAIRN_ALERT_RULE_CACHE_SECONDS = 0  # type: ignore[attr-defined]
    settings.CAIRN_ALERT_RETRY_DELAY = 0  # type: ignore[attr-defined]
    # Ids repeat from test to test (each rolls back): forget the pairs that fired.
    CACHE.fired.clear()
    return world_create()
