"""A run's alerts: recorded by id, counted, checked against the limits, listed newest first."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import World, run_create, world_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/projects/acme/secret/runs/r1/alerts"


@pytest.fixture
def world() -> World:
    w = world_create()
    run_create(w.private, "r1", user=w.owner.user)
    return w


def _post(world: World, body: dict[str, Any]) -> Any:
    return world.member.client().post(URL, body, format="json")


def test_it_lists_alerts_newest_first_with_their_level(world: World) -> None:
    assert _post(world, {"id": "a", "title": "slow", "text": "epoch took 2 h", "created_at": 1000.0}).status_code == 201
    assert _post(world, {"id": "b", "title": "NaN", "level": "ERROR", "created_at": 2000.0}).status_code == 201
    results = world.viewer.client().get(URL).json()["results"]
    assert [(a["id"], a["title"], a["level"], a["count"]) for a in results] == [
        ("b", "NaN", "ERROR", 1),
        ("a", "slow", "INFO", 1),
    ]
    assert results[1]["text"] == "epoch took 2 h"
    assert results[1]["created_at"].startswith("1970-01-01T00:16:40")


def test_the_same_id_again_raises_the_count_and_never_lowers_it(world: World) -> None:
    assert _post(world, {"id": "a", "title": "NaN", "count": 1}).status_code == 201
    again = _post(world, {"id": "a", "title": "NaN", "count": 3})
    assert again.status_code == 200 and again.json()["count"] == 3
    assert _post(world, {"id": "a", "title": "NaN", "count": 2}).json()["count"] == 3  # a late retry
    assert [a["count"] for a in world.owner.client().get(URL).json()["results"]] == [3]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"id": "a", "title": "x" * 257}, "title"),
        ({"id": "a", "title": ""}, "title"),
        ({"id": "a", "title": "t", "text": "é" * (32 * 1024 + 1)}, "text"),
        ({"id": "a", "title": "t", "level": "FATAL"}, "level"),
        ({"id": "a", "title": "t", "level": {}}, "level"),
        ({"id": "a", "title": "t", "level": None}, "level"),
        ({"id": "a", "title": "t", "count": 0}, "count"),
        ({"id": "a/b", "title": "t"}, "id"),
        ({"id": "a", "title": "nul\x00"}, "title"),
        ({"id": "a", "title": "t", "created_at": "yesterday"}, "created_at"),
    ],
)
def test_it_refuses_what_breaks_the_limits(world: World, body: dict[str, Any], field: str) -> None:
    response = _post(world, body)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert world.owner.client().get(URL).json()["results"] == []


def test_the_longest_title_and_text_are_stored_whole(world: World) -> None:
    text = "a" * (64 * 1024)
    assert _post(world, {"id": "a", "title": "t" * 256, "text": text, "level": "WARN"}).status_code == 201
    (alert,) = world.owner.client().get(URL).json()["results"]
    assert alert["title"] == "t" * 256 and alert["text"] == text and alert["level"] == "WARN"
