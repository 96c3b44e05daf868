"""The people of every test (tests/factories.py) and a helper to create sweeps."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Person, World, world_create


@pytest.fixture(autouse=True)
def _eager(tasks_eager: None) -> None:
    """Tasks (importance) run in the request that queues them (tests/conftest.py)."""


@pytest.fixture
def world(db: Any) -> World:
    return world_create()


def api(project: str = "secret", org: str = "acme") -> str:
    return f"/api/v1/projects/{org}/{project}/sweeps/"


def create(person: Person, config: Any, project: str = "secret", **extra: Any) -> Any:
    return person.client().post(api(project), {"config": config, **extra}, format="json")


def next_run(
    person: Person, sweep_id: str, agent: str = "a1", project: str = "secret"
) -> dict[str, Any]:
    r = person.client().post(f"{api(project)}{sweep_id}/next", {"agent": agent}, format="json")
    assert r.status_code == 200, r.content
    return dict(r.json())
