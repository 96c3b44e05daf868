"""Listing a project's runs through the API: filter, order, pages."""

from __future__ import annotations

import pytest

from tests.factories import World, run_create, world_create

pytestmark = pytest.mark.django_db
LIST = "/api/v1/projects/acme/secret/runs/"


@pytest.fixture
def world() -> World:
    w = world_create()
    for i in range(12):
        run_create(
            w.private, f"r{i:02d}", name=f"bert-{i}" if i % 2 else f"gpt-{i}",
            config={"lr": 0.1 * (i % 3), "opt": "adam" if i < 6 else "sgd"},
            summary={"acc": i / 10}, tags=["base"] if i % 4 == 0 else [],
        )
    return w


def ids(response: object) -> list[str]:
    return [r["id"] for r in response.json()["results"]]  # type: ignore[attr-defined]


def test_it_filters_with_or_and_orders_by_a_metric(world: World) -> None:
    c = world.viewer.client()
    response = c.get(LIST, {"filter": 'config.opt = "sgd" and (summary.acc >= 1.0 or tags contains "base")', "order": "-summary.acc"})
    assert response.status_code == 200
    assert ids(response) == ["r11", "r10", "r08"]
    assert response.json()["count"] == 3


def test_it_pages_with_a_next_link(world: World) -> None:
    c = world.viewer.client()
    first = c.get(LIST, {"order": "summary.acc", "limit": 5})
    assert ids(first) == [f"r{i:02d}" for i in range(5)]
    assert first.json()["count"] == 12
    second = c.get(first.json()["next"])
    assert ids(second) == [f"r{i:02d}" for i in range(5, 10)]
    assert c.get(LIST, {"order": "summary.acc", "limit": 5, "offset": 10}).json()["next"] is None


def test_a_bad_filter_or_order_is_a_400_naming_it(world: World) -> None:
    c = world.viewer.client()
    bad = c.get(LIST, {"filter": "summary.acc >"})
    assert bad.status_code == 400 and bad.json()["field"] == "filter"
    assert "column" in bad.json()["error"]
    bad = c.get(LIST, {"order": "-nonsense"})
    assert bad.status_code == 400 and bad.json()["field"] == "order"
    assert c.get(LIST, {"limit": "0"}).json()["field"] == "limit"


def test_regex_on_names(world: World) -> None:
    response = world.viewer.client().get(LIST, {"filter": 'name ~ "^bert-[13]$"', "order": "name"})
    assert ids(response) == ["r01", "r03"]
