"""The sweeps API: who may do what, the controls, and the runs handed out."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import TestCase

from apps.runs import services as run_services
from apps.runs.models import Run
from apps.sweeps.models import Sweep
from tests.factories import Person, World
from tests.sweeps.conftest import api, create, next_run

pytestmark = pytest.mark.django_db

GRID = {
    "method": "grid",
    "parameters": {
        "lr": {"values": [0.1, 0.01]},
        "opt": {"parameters": {"name": {"values": ["sgd", "adam"]}, "m": {"value": 0.9}}},
    },
}


def _sweep(world: World, config: Any = GRID, project: str = "secret") -> str:
    r = create(world.member, config, project)
    assert r.status_code == 201, r.content
    return str(r.json()["id"])


def test_members_create_viewers_read_outsiders_see_nothing(world: World) -> None:
    assert create(world.viewer, GRID).status_code == 403
    assert create(world.outsider, GRID).status_code == 404
    assert create(world.anonymous, GRID).status_code == 404
    sweep_id = _sweep(world)
    for person, status in (
        (world.owner, 200),
        (world.member, 200),
        (world.viewer, 200),
        (world.outsider, 404),
        (world.anonymous, 404),
    ):
        assert person.client().get(f"{api()}{sweep_id}").status_code == status, person.name
        assert person.client().get(f"{api()}{sweep_id}/runs").status_code == status, person.name
        assert person.client().get(api()).status_code == status, person.name
    # Running a sweep is a member's: a viewer can read it but not ask it for runs or control it.
    c = world.viewer.client()
    assert c.post(f"{api()}{sweep_id}/next", {"agent": "v"}, format="json").status_code == 403
    assert c.post(f"{api()}{sweep_id}/control/pause").status_code == 403
    assert (
        c.post(f"{api()}{sweep_id}/agents/v/heartbeat", {"runs": []}, format="json").status_code
        == 403
    )
    assert (
        world.outsider.client().post(f"{api()}{sweep_id}/next", {}, format="json").status_code
        == 404
    )


def test_a_public_projects_sweeps_are_read_by_anyone_and_run_by_members(world: World) -> None:
    sweep_id = _sweep(world, project="open")
    assert world.anonymous.client().get(f"{api('open')}{sweep_id}").status_code == 200
    assert (
        world.outsider.client().post(f"{api('open')}{sweep_id}/next", {}, format="json").status_code
        == 403
    )


def test_grid_hands_out_every_point_once_then_the_sweep_ends(world: World) -> None:
    sweep_id = _sweep(world)
    seen = []
    for _ in range(4):
        nxt = next_run(world.member, sweep_id)
        assert nxt["action"] == "run"
        seen.append((nxt["params"]["lr"], nxt["params"]["opt"]["name"]))
        assert nxt["params"]["opt"]["m"] == 0.9
    assert sorted(seen) == sorted([(0.1, "sgd"), (0.1, "adam"), (0.01, "sgd"), (0.01, "adam")])
    assert next_run(world.member, sweep_id) == {"action": "done", "reason": "exhausted"}
    # Still running: not finished until its runs end.
    assert world.member.client().get(f"{api()}{sweep_id}").json()["state"] == "running"
    for trial in Sweep.objects.get(sweep_id=sweep_id).trials.all():
        _run_through(world, sweep_id, trial.run_id, {"loss": 1.0})
    body = world.member.client().get(f"{api()}{sweep_id}").json()
    assert body["state"] == "finished" and body["runs_by_state"] == {"finished": 4}


def _run_through(
    world: World, sweep_id: str, run_id: str, summary: dict[str, Any], exit_code: int = 0
) -> Run:
    """What the agent's run does: created naming its sweep, then finished."""
    up = run_services.run_upsert(
        project=world.private,
        run_id=run_id,
        user=world.member.user,
        data={"sweep": sweep_id, "summary": summary},
    )
    with TestCase.captureOnCommitCallbacks(execute=True):  # listeners hear of it once it commits
        return run_services.run_finish(run=up.run, exit_code=exit_code)


def test_a_finished_run_gives_its_trial_the_metric(world: World) -> None:
    sweep_id = _sweep(
        world,
        {
            "method": "random",
            "metric": {"name": "val/loss", "goal": "minimize"},
            "parameters": {"x": {"min": 0.0, "max": 1.0}},
        },
    )
    a, b = next_run(world.member, sweep_id), next_run(world.member, sweep_id)
    _run_through(world, sweep_id, a["run_id"], {"val/loss": 0.5})
    _run_through(world, sweep_id, b["run_id"], {"val": {"loss": 0.25}}, exit_code=1)
    runs = {
        t["run_id"]: t
        for t in world.viewer.client().get(f"{api()}{sweep_id}/runs").json()["results"]
    }
    assert runs[a["run_id"]]["metric"] == 0.5 and runs[a["run_id"]]["state"] == "finished"
    assert runs[b["run_id"]]["metric"] == 0.25 and runs[b["run_id"]]["state"] == "failed"
    assert runs[a["run_id"]]["params"] == a["params"]
    body = world.viewer.client().get(f"{api()}{sweep_id}").json()
    assert body["best_run_id"] == b["run_id"] and body["best_value"] == 0.25


def test_runs_filter_by_their_sweep(world: World) -> None:
    one = _sweep(world, {"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}})
    two = _sweep(world, {"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}})
    a, b, c = next_run(world.member, one), next_run(world.member, one), next_run(world.member, two)
    for sweep_id, trial in ((one, a), (one, b), (two, c)):
        _run_through(world, sweep_id, trial["run_id"], {"loss": 1.0})
    run_services.run_upsert(project=world.private, run_id="alone", user=world.member.user, data={})

    def ids(text: str, order: str = "") -> list[str]:
        r = world.viewer.client().get("/api/v1/projects/acme/secret/runs/", {"filter": text, "order": order})
        assert r.status_code == 200, r.content
        return sorted(run["id"] for run in r.json()["results"])

    assert ids(f'sweep = "{one}"') == sorted([a["run_id"], b["run_id"]])
    assert ids(f'sweep in ("{one}", "{two}")') == sorted([a["run_id"], b["run_id"], c["run_id"]])
    assert ids("sweep = null") == ["alone"]
    assert ids(f'sweep != "{one}"') == [c["run_id"]]
    assert len(ids("", order="sweep")) == 4
    r = world.viewer.client().get("/api/v1/projects/acme/secret/runs/", {"filter": "sweep > 3"})
    assert r.status_code == 400 and r.json()["field"] == "filter"


def test_run_cap_is_exact_and_ends_the_sweep(world: World) -> None:
    sweep_id = _sweep(
        world, {"method": "random", "run_cap": 3, "parameters": {"x": {"min": 0.0, "max": 1.0}}}
    )
    ids = [next_run(world.member, sweep_id)["run_id"] for _ in range(3)]
    assert next_run(world.member, sweep_id) == {"action": "done", "reason": "run_cap"}
    for run_id in ids:
        _run_through(world, sweep_id, run_id, {})
    assert Sweep.objects.get(sweep_id=sweep_id).state == "finished"


def test_target_reached_finishes_the_sweep(world: World) -> None:
    sweep_id = _sweep(
        world,
        {
            "method": "random",
            "metric": {"name": "acc", "goal": "maximize", "target": 0.9},
            "parameters": {"x": {"values": [1, 2]}},
        },
    )
    _run_through(world, sweep_id, next_run(world.member, sweep_id)["run_id"], {"acc": 0.95})
    assert next_run(world.member, sweep_id)["action"] == "done"


def test_pause_resume_stop_cancel(world: World) -> None:
    sweep_id = _sweep(world, {"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}})
    c = world.member.client()
    running = next_run(world.member, sweep_id)["run_id"]
    assert c.post(f"{api()}{sweep_id}/control/pause").json()["state"] == "paused"
    assert next_run(world.member, sweep_id) == {"action": "wait", "reason": "paused"}
    assert c.post(f"{api()}{sweep_id}/control/pause").status_code == 409
    assert c.post(f"{api()}{sweep_id}/control/resume").json()["state"] == "running"
    assert next_run(world.member, sweep_id)["action"] == "run"
    beat = c.post(
        f"{api()}{sweep_id}/agents/a1/heartbeat", {"runs": [running]}, format="json"
    ).json()
    assert beat == {"state": "running", "stop": []}
    assert c.post(f"{api()}{sweep_id}/control/cancel").json()["state"] == "cancelled"
    beat = c.post(
        f"{api()}{sweep_id}/agents/a1/heartbeat", {"runs": [running]}, format="json"
    ).json()
    assert beat == {"state": "cancelled", "stop": [running]}
    assert next_run(world.member, sweep_id) == {"action": "done", "reason": "cancelled"}
    assert c.post(f"{api()}{sweep_id}/control/resume").status_code == 409
    assert c.post(f"{api()}{sweep_id}/control/explode").status_code == 400


def test_stop_lets_running_runs_finish(world: World) -> None:
    sweep_id = _sweep(world, {"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}})
    running = next_run(world.member, sweep_id)["run_id"]
    c = world.member.client()
    assert c.post(f"{api()}{sweep_id}/control/stop").json()["state"] == "finished"
    assert c.post(
        f"{api()}{sweep_id}/agents/a1/heartbeat", {"runs": [running]}, format="json"
    ).json() == {"state": "finished", "stop": []}
    assert next_run(world.member, sweep_id)["action"] == "done"


def test_one_run_stopped_by_hand_reaches_its_agent(world: World) -> None:
    sweep_id = _sweep(world, {"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}})
    run_id = next_run(world.member, sweep_id)["run_id"]
    c = world.member.client()
    assert world.viewer.client().post(f"{api()}{sweep_id}/runs/{run_id}/stop").status_code == 403
    assert c.post(f"{api()}{sweep_id}/runs/{run_id}/stop").json()["stop_requested"] is True
    assert c.post(
        f"{api()}{sweep_id}/agents/a1/heartbeat", {"runs": [run_id]}, format="json"
    ).json()["stop"] == [run_id]
    _run_through(world, sweep_id, run_id, {}, exit_code=143)
    assert c.get(f"{api()}{sweep_id}/runs").json()["results"][0]["state"] == "stopped"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("next", {"agent": "bad agent!"}, "agent"),
        ("next", [], None),
        ("next", {"agent": "a", "host": {}}, "host"),
        ("agents/a1/heartbeat", {"runs": [], "host": 5}, "host"),
        ("agents/a1/heartbeat", {"runs": "x"}, "runs"),
        ("agents/a1/heartbeat", {"runs": ["x"] * 101}, "runs"),
        ("agents/a1/heartbeat", {"runs": [""]}, "runs"),
    ],
)
def test_hostile_agent_input_is_a_400(
    world: World, path: str, body: Any, field: str | None
) -> None:
    sweep_id = _sweep(world)
    r = world.member.client().post(f"{api()}{sweep_id}/{path}", body, format="json")
    assert r.status_code == 400, r.content
    assert r.json().get("field") == field


def test_an_unknown_sweep_is_404_and_a_malformed_id_400(world: World) -> None:
    assert world.member.client().get(f"{api()}abcdefgh").status_code == 404
    assert world.member.client().get(f"{api()}ABC$").status_code == 400


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="concurrent writers need PostgreSQL; tests/agent covers 20 agents",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_agents_never_share_a_grid_point(world: World) -> None:
    sweep_id = _sweep(world, {"method": "grid", "parameters": {"x": {"values": list(range(40))}}})
    got: list[Any] = []

    def ask(p: Person, i: int) -> None:
        for _ in range(4):
            got.append(next_run(p, sweep_id, agent=f"a{i}")["params"]["x"])

    threads = [threading.Thread(target=ask, args=(world.member, i)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(40))
