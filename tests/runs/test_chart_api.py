"""The charts API: project keys, several runs' history in one read, saved panels."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.factories import Person, World, world_create

pytestmark = pytest.mark.django_db
PRIVATE = "/api/v1/projects/acme/secret"
PUBLIC = "/api/v1/projects/acme/open"


@pytest.fixture
def world() -> World:
    return world_create()


def log_run(p: Person, base: str, run_id: str, n: int, data: Any = None, t0: float = 1000.0) -> None:
    c = p.client()
    assert c.put(f"{base}/runs/{run_id}", {}, format="json").status_code == 201  # a new run
    records = [
        {"step": s, "time": t0 + 2 * s, "data": data(s) if data else {"loss": 1.0 / (s + 1), "acc": s / n}}
        for s in range(n)
    ]
    r = c.post(f"{base}/runs/{run_id}/streams/history", {"offset": 0, "records": records}, format="json")
    assert r.status_code == 200, r.content


def test_it_lists_the_projects_keys_numeric_first_without_hidden_ones(world: World) -> None:
    log_run(world.member, PRIVATE, "a", 10)
    log_run(world.member, PRIVATE, "b", 10, lambda s: {"loss": 1.0, "img": {"_type": "image", "path": "x.png"}})
    body = world.viewer.client().get(f"{PRIVATE}/keys").json()
    assert body["keys"] == [
        {"key": "acc", "numeric": True, "runs": 1},
        {"key": "loss", "numeric": True, "runs": 2},
        {"key": "img", "numeric": False, "runs": 1},
    ]
    only_b = world.viewer.client().get(f"{PRIVATE}/keys", {"runs": "b"}).json()
    assert [k["key"] for k in only_b["keys"]] == ["loss", "img"]


def test_it_keeps_a_hidden_time_series_of_each_run(world: World) -> None:
    log_run(world.member, PRIVATE, "a", 100)
    one = world.member.client().get(f"{PRIVATE}/runs/a/history", {"keys": "_time"}).json()
    assert one["series"]["_time"]["steps"] == list(range(100))
    assert one["series"]["_time"]["values"] == [1000.0 + 2 * s for s in range(100)]
    # Not among "every key", nor in an export.
    assert set(world.member.client().get(f"{PRIVATE}/runs/a/history").json()["series"]) == {"acc", "loss"}


def test_it_samples_several_runs_in_one_read(world: World) -> None:
    log_run(world.member, PRIVATE, "a", 5000, lambda s: {"loss": 100.0 if s == 4321 else 1.0})
    log_run(world.member, PRIVATE, "b", 10)
    r = world.viewer.client().get(
        f"{PRIVATE}/history", {"runs": "a,b,nope", "keys": "loss", "samples": 100, "times": "1"}
    )
    assert r.status_code == 200
    runs = r.json()["runs"]
    assert set(runs) == {"a", "b"}
    a = runs["a"]["series"]["loss"]
    assert runs["a"]["state"] == "running"
    assert a["count"] == 5000 and a["sampled"] and len(a["steps"]) <= 100
    assert max(a["max"]) == 100.0  # the spike survives sampling
    assert set(runs["a"]["series"]) == {"loss", "_time"}
    assert runs["b"]["series"]["loss"]["steps"] == list(range(10))


def test_it_reads_finer_points_when_zoomed(world: World) -> None:
    log_run(world.member, PRIVATE, "a", 20000, lambda s: {"x": float(s)})
    r = world.member.client().get(f"{PRIVATE}/history", {"runs": "a", "keys": "x", "min_step": 100, "max_step": 199})
    x = r.json()["runs"]["a"]["series"]["x"]
    assert x["steps"] == list(range(100, 200)) and not x["sampled"]


def test_it_refuses_too_many_runs(world: World) -> None:
    ids = ",".join(f"r{i}" for i in range(51))
    r = world.member.client().get(f"{PRIVATE}/history", {"runs": ids})
    assert r.status_code == 400 and r.json()["field"] == "runs"
    assert world.member.client().get(f"{PRIVATE}/history").status_code == 400


@pytest.mark.parametrize(
    ("who", "private_status", "public_status"),
    [("owner", 200, 200), ("member", 200, 200), ("viewer", 200, 200), ("outsider", 404, 200), ("anonymous", 404, 200)],
)
def test_who_may_read_keys_and_history(world: World, who: str, private_status: int, public_status: int) -> None:
    log_run(world.member, PRIVATE, "a", 5)
    log_run(world.member, PUBLIC, "a", 5)
    c = getattr(world, who).client()
    for url in ("keys", "history?runs=a", "workspace"):
        assert c.get(f"{PRIVATE}/{url}").status_code == private_status
        assert c.get(f"{PUBLIC}/{url}").status_code == public_status


PANELS = {
    "panels": [
        {"id": "p1", "key": "loss", "x": "time", "smoothing": 0.6, "log": True, "ignore_outliers": True, "size": "l"},
        {"id": "p2", "key": "acc", "x": "metric:loss", "ignore_outliers": False},
    ],
    "hidden": ["lr"],
}


def test_a_member_saves_the_workspace_and_everyone_reads_it(world: World) -> None:
    empty = world.viewer.client().get(f"{PUBLIC}/workspace").json()
    assert empty["panels"] == [] and empty["saved"] is False and empty["can_write"] is False
    r = world.member.client().put(f"{PUBLIC}/workspace", PANELS, format="json")
    assert r.status_code == 200, r.content
    saved = world.anonymous.client().get(f"{PUBLIC}/workspace").json()
    assert saved["saved"] and saved["can_write"] is False and saved["updated_by"] == "bob"
    assert saved["panels"][0] == PANELS["panels"][0]
    assert saved["panels"][1] == {"id": "p2", "key": "acc", "x": "metric:loss", "smoothing": 0.0, "log": False, "size": "m"}
    assert saved["hidden"] == ["lr"]
    assert world.member.client().get(f"{PUBLIC}/workspace").json()["can_write"] is True


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("anonymous", 401), ("outsider", 403)])
def test_others_may_not_save_a_public_workspace(world: World, who: str, status: int) -> None:
    assert getattr(world, who).client().put(f"{PUBLIC}/workspace", PANELS, format="json").status_code == status


def test_an_outsider_does_not_learn_a_private_workspace_exists(world: World) -> None:
    assert world.outsider.client().put(f"{PRIVATE}/workspace", PANELS, format="json").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"panels": [{"id": "a", "key": "loss", "size": "xl"}]}, "panels[0].size"),
        ({"panels": [{"id": "a", "key": "loss", "smoothing": 1}]}, "panels[0].smoothing"),
        ({"panels": [{"id": "a", "key": "loss", "x": "wall"}]}, "panels[0].x"),
        ({"panels": [{"id": "a", "key": "loss", "ignore_outliers": "yes"}]}, "panels[0].ignore_outliers"),
        ({"panels": [{"id": "a", "key": "", "x": "step"}]}, "panels[0].key"),
        ({"panels": [{"id": "a", "key": "k", "script": "x"}]}, "panels[0]"),
        ({"panels": [{"id": "a", "key": "k"}, {"id": "a", "key": "j"}]}, "panels"),
        ({"panels": "nope"}, "panels"),
        ({"panels": [{"id": "a", "key": "k", "type": "pie"}]}, "panels[0].type"),
        ({"panels": [{"id": "a", "key": "k", "keys": ["a"] * 21}]}, "panels[0].keys"),
        ({"panels": [{"id": "a", "key": "k", "keys": [""]}]}, "panels[0].keys[0]"),
        ({"panels": [{"id": "a", "key": "k", "regex": "x" * 257}]}, "panels[0].regex"),
        ({"sections": {"train": "yes"}}, "sections"),
        ({"sections": ["train"]}, "sections"),
        ({"sections": {str(i): True for i in range(201)}}, "sections"),
    ],
)
def test_it_refuses_malformed_panels(world: World, body: dict[str, Any], field: str) -> None:
    r = world.member.client().put(f"{PRIVATE}/workspace", body, format="json")
    assert r.status_code == 400 and r.json()["field"] == field


def test_panels_of_several_keys_across_runs_and_open_sections_are_saved(world: World) -> None:
    layout = {
        "panels": [
            {"id": "p1", "key": "train/loss", "keys": ["train/loss", "val/loss"]},
            {"id": "p2", "key": "/acc$/", "regex": "acc$"},
            {"id": "p3", "type": "scatter", "key": "config.lr", "keys": ["config.lr", "summary.loss"]},
            {"id": "p4", "type": "line", "key": "loss"},
        ],
        "sections": {"train": True, "": False},
    }
    assert world.member.client().put(f"{PRIVATE}/workspace", layout, format="json").status_code == 200
    saved = world.viewer.client().get(f"{PRIVATE}/workspace").json()
    assert saved["sections"] == {"train": True, "": False}
    assert [{k: v for k, v in p.items() if k in ("type", "keys", "regex")} for p in saved["panels"]] == [
        {"keys": ["train/loss", "val/loss"]}, {"regex": "acc$"}, {"type": "scatter", "keys": ["config.lr", "summary.loss"]}, {},
    ]


def test_the_browser_gets_non_finite_values_as_strings(world: World) -> None:
    c = world.member.client()
    c.put(f"{PRIVATE}/runs/a", {}, format="json")
    records = [{"step": s, "time": 1.0, "data": {"loss": v}} for s, v in enumerate([1.0, math.nan, math.inf])]
    body = json.dumps({"offset": 0, "records": records})  # NaN and Infinity as bare tokens
    assert c.post(f"{PRIVATE}/runs/a/streams/history", body, content_type="application/json").status_code == 200
    body = c.get(f"{PRIVATE}/history", {"runs": "a", "keys": "loss"}, HTTP_X_CAIRN_NONFINITE="string").json()
    assert body["runs"]["a"]["series"]["loss"]["values"] == [1.0, "NaN", "Infinity"]
    raw = c.get(f"{PRIVATE}/history", {"runs": "a", "keys": "loss"}).content
    assert b"NaN" in raw and b'"NaN"' not in raw  # other clients: the bare tokens


def test_numeric_only_leaves_out_media_keys(world: World) -> None:
    log_run(world.member, PRIVATE, "a", 5, lambda s: {"loss": 1.0, "img": {"_type": "image", "path": "x.png"}})
    body = world.member.client().get(f"{PRIVATE}/history", {"runs": "a", "numeric": "1"}).json()
    assert set(body["runs"]["a"]["series"]) == {"loss"}


def test_the_workspace_brings_the_keys_along(world: World) -> None:
    log_run(world.member, PRIVATE, "a", 5)
    body = world.viewer.client().get(f"{PRIVATE}/workspace").json()
    assert [k["key"] for k in body["keys"]] == ["acc", "loss"]
