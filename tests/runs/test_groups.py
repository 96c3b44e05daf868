"""Grouped runs: a group's history aggregated across its runs, and the group page."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from apps.runs import groups
from apps.runs.groups import series_aggregate
from tests.factories import Person, World, world_create

pytestmark = pytest.mark.django_db
PRIVATE = "/api/v1/projects/acme/secret"
PUBLIC = "/api/v1/projects/acme/open"
# Three processes of one job: rank 2 logs only the even steps, and a NaN.
RANKS = {
    "rank0": {0: 1.0, 1: 2.0, 2: 3.0, 3: 4.0},
    "rank1": {0: 3.0, 1: 3.0, 2: 3.0, 3: 3.0},
    "rank2": {0: 2.0, 1: math.nan, 2: 6.0},
}


@pytest.fixture
def world() -> World:
    return world_create()


def log_run(p: Person, base: str, run_id: str, group: str, points: dict[int, float], key: str = "loss") -> None:
    c = p.client()
    assert c.put(f"{base}/runs/{run_id}", {"group": group}, format="json").status_code == 201
    records = [{"step": s, "time": 1000.0 + s, "data": {key: v, "_hidden": 1.0}} for s, v in points.items()]
    body = json.dumps({"offset": 0, "records": records})  # NaN as the bare token
    r = c.post(f"{base}/runs/{run_id}/streams/history", body, content_type="application/json")
    assert r.status_code == 200, r.content


def ddp(world: World, base: str = PRIVATE) -> None:
    for run_id, points in RANKS.items():
        log_run(world.member, base, run_id, "ddp-1", points)
    # Neither another group's run nor a run of no group counts.
    log_run(world.member, base, "other", "ddp-2", {0: 100.0})
    log_run(world.member, base, "alone", "", {0: -100.0})


def test_it_aggregates_the_groups_runs_step_by_step(world: World) -> None:
    ddp(world)
    body = world.viewer.client().get(f"{PRIVATE}/groups/ddp-1/history").json()
    assert (body["group"], body["run_count"], body["aggregated"], body["max_runs"]) == ("ddp-1", 3, 3, 500)
    assert list(body["series"]) == ["loss"]  # `_hidden` is hidden, as in every read of all keys
    loss = body["series"]["loss"]
    # By hand: step 1 has no finite value of rank2, step 3 no value of it at all.
    assert loss == {
        "steps": [0, 1, 2, 3],
        "mean": [2.0, 2.5, 4.0, 3.5],
        "min": [1.0, 2.0, 3.0, 3.0],
        "max": [3.0, 3.0, 6.0, 4.0],
        "runs": [3, 2, 3, 2],
    }


def test_it_buckets_each_runs_sampled_steps_onto_one_grid(world: World) -> None:
    log_run(world.member, PRIVATE, "a", "g", {0: 0.0, 1: 2.0, 2: 4.0, 3: 6.0})
    log_run(world.member, PRIVATE, "b", "g", {0: 10.0, 1: 10.0, 2: 10.0, 3: 10.0})
    loss = world.member.client().get(f"{PRIVATE}/groups/g/history", {"samples": 2}).json()["series"]["loss"]
    # Two points of two steps each: a's means are 1 and 5.
    assert loss == {"steps": [0, 2], "mean": [5.5, 7.5], "min": [1.0, 5.0], "max": [10.0, 10.0], "runs": [2, 2]}


def test_runs_logging_at_different_steps_line_up_on_the_grid() -> None:
    agg = series_aggregate([([0, 10, 20], [1.0, 3.0, 5.0]), ([5, 15], [10.0, 20.0])], samples=2)
    # Buckets of 11 steps from 0: [0, 11) holds 1, 3 (a: 2) and 10 (b); [11, 22) holds 5 (a) and 20 (b).
    assert agg.as_dict() == {"steps": [0, 11], "mean": [6.0, 12.5], "min": [2.0, 5.0], "max": [10.0, 20.0], "runs": [2, 2]}
    assert series_aggregate([], samples=10).as_dict()["steps"] == []
    assert series_aggregate([([0], [math.inf])], samples=10).as_dict()["steps"] == []
    # The largest steps there are: the grid's width stays a 64-bit integer.
    top = 2**63 - 1
    assert series_aggregate([([0, top], [1.0, 2.0])], samples=1).as_dict() == {
        "steps": [0], "mean": [1.5], "min": [1.5], "max": [1.5], "runs": [1]}


def test_it_reads_the_keys_asked_for_by_name(world: World) -> None:
    ddp(world)
    c = world.member.client()
    assert list(c.get(f"{PRIVATE}/groups/ddp-1/history", {"keys": "_hidden,nope"}).json()["series"]) == ["_hidden"]
    assert c.get(f"{PRIVATE}/groups/ddp-1/history", {"keys": "nope"}).json()["series"] == {}


def test_it_aggregates_the_first_runs_created_and_says_so(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    ddp(world)
    monkeypatch.setattr(groups, "MAX_RUNS", 2)
    body = world.member.client().get(f"{PRIVATE}/groups/ddp-1/history").json()
    assert (body["run_count"], body["aggregated"], body["max_runs"]) == (3, 2, 2)
    assert body["series"]["loss"]["mean"] == [2.0, 2.5, 3.0, 3.5]  # rank0 and rank1
    page = world.member.browser().get("/acme/secret/groups/ddp-1/")
    assert b'data-testid="group-runs-capped"' in page.content and b"rank2" not in page.content


def test_a_group_with_slashes_and_newlines_is_one_url_part(world: World) -> None:
    log_run(world.member, PRIVATE, "a", "sweep/7\nb", {0: 1.0})
    c = world.member.client()
    assert c.get(f"{PRIVATE}/groups/sweep%2F7%0Ab/history").json()["series"]["loss"]["mean"] == [1.0]
    assert world.member.browser().get("/acme/secret/groups/sweep%2F7%0Ab/").status_code == 200


def test_a_private_groups_history_and_page_are_404_to_outsiders(world: World) -> None:
    ddp(world)
    for who in (world.owner, world.member, world.viewer):
        assert who.client().get(f"{PRIVATE}/groups/ddp-1/history").status_code == 200, who.name
        assert who.browser().get("/acme/secret/groups/ddp-1/").status_code == 200, who.name
    for who in (world.outsider, world.anonymous):
        assert who.client().get(f"{PRIVATE}/groups/ddp-1/history").status_code == 404, who.name
        assert who.browser().get("/acme/secret/groups/ddp-1/").status_code == 404, who.name
        # Bad input reads the same as good: nothing says the project exists.
        assert who.client().get(f"{PRIVATE}/groups/{'x' * 200}/history").status_code == 404, who.name


def test_a_public_groups_history_and_page_are_anyones(world: World) -> None:
    ddp(world, PUBLIC)
    body = world.anonymous.client().get(f"{PUBLIC}/groups/ddp-1/history").json()
    assert body["series"]["loss"]["mean"] == [2.0, 2.5, 4.0, 3.5]
    page = world.outsider.browser().get("/acme/open/groups/ddp-1/")
    assert page.status_code == 200
    for run_id in RANKS:
        assert f'href="/acme/open/runs/{run_id}"'.encode() in page.content


def test_a_group_no_run_is_in_is_a_404(world: World) -> None:
    ddp(world)
    assert world.member.client().get(f"{PRIVATE}/groups/ddp-9/history").status_code == 404
    page = world.member.browser()
    assert page.get("/acme/secret/groups/ddp-9/").status_code == 404
    assert page.get(f"/acme/secret/groups/{'x' * 129}/").status_code == 404
    assert page.get("/acme/secret/groups/a%00b/").status_code == 404


@pytest.mark.parametrize(
    "path, params, field",
    [
        (f"/groups/{'x' * 129}/history", {}, "group"),
        ("/groups/a%00b/history", {}, "group"),
        ("/groups/ddp-1/history", {"samples": "0"}, "samples"),
        ("/groups/ddp-1/history", {"samples": "ten"}, "samples"),
        ("/groups/ddp-1/history", {"samples": str(10**6)}, "samples"),
        ("/groups/ddp-1/history", {"samples": ""}, "samples"),
        ("/groups/ddp-1/history", {"keys": "loss\x00"}, "keys"),
        ("/groups/ddp-1/history", {"keys": ",".join(f"k{i}" for i in range(groups.MAX_KEYS + 1))}, "keys"),
    ],
)
def test_bad_input_is_a_400_naming_it(world: World, path: str, params: dict[str, Any], field: str) -> None:
    ddp(world)
    response = world.member.client().get(f"{PRIVATE}{path}", params)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
