"""The history export of a step range (`min_step`, `max_step`): what `scan_history` reads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories import World, world_create

pytestmark = pytest.mark.django_db
RUN = "/api/v1/projects/acme/secret/runs/r1"


@pytest.fixture
def world() -> World:
    w = world_create()
    assert w.member.client().put(RUN, {}, format="json").status_code == 201
    client = w.member.client()
    for batch in range(4):  # four chunks of 25 steps, every fifth step with `acc`
        records = [
            {"step": s, "time": 1000.0 + s, "data": {"loss": float(s), **({"acc": s / 100} if s % 5 == 0 else {})}}
            for s in range(batch * 25, batch * 25 + 25)
        ]
        assert client.post(f"{RUN}/streams/history", {"offset": batch * 25, "records": records}, format="json").status_code == 200
    return w


def export(w: World, **params: Any) -> Any:
    return w.member.client().get(f"{RUN}/history/export", params)


def steps(w: World, **params: Any) -> list[int]:
    response = export(w, **params)
    assert response.status_code == 200
    return [json.loads(line)["step"] for line in b"".join(response.streaming_content).splitlines()]


def test_it_gives_the_rows_of_the_range_across_chunks(world: World) -> None:
    assert steps(world, min_step=20, max_step=30) == list(range(20, 31))
    assert steps(world, min_step=95) == list(range(95, 100))
    assert steps(world, max_step=3) == [0, 1, 2, 3]
    assert steps(world, keys="acc", min_step=42, max_step=61) == [45, 50, 55, 60]
    assert steps(world, min_step=200) == [] and steps(world) == list(range(100))


def test_csv_takes_the_range_too(world: World) -> None:
    text = b"".join(export(world, format="csv", keys="loss", min_step=49, max_step=50).streaming_content).decode()
    assert text == "step,time,loss\n49,1049.0,49.0\n50,1050.0,50.0\n"


@pytest.mark.parametrize("bad", [{"min_step": "-1"}, {"max_step": "x"}, {"min_step": ""}])
def test_a_bad_bound_is_a_400_naming_it(world: World, bad: dict[str, str]) -> None:
    response = export(world, **bad)
    assert response.status_code == 400 and response.json()["field"] == next(iter(bad))
