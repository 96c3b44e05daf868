"""The read API with W&B's names (``wandb.Api``), against a real running server.

A dozen runs of varied config, summary, tags and state are made through the
protocol; W&B's MongoDB-style filters must select the same runs as the filter
string written by hand, and a run logged by a real training script reads back
with W&B's attributes, history columns and files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import requests

import agent
from agent import NotFound, UsageError
from tests.agent.conftest import run_script

pytestmark = pytest.mark.server

PROJECT = "wbapi"

# (name, config, summary, tags, state, group, job_type)
RUNS: list[tuple[str, dict[str, Any], dict[str, Any], list[str], str, str, str]] = [
    ("bert-1", {"lr": 0.1, "opt": "adam", "model": {"layers": 2}}, {"acc": 0.50, "val/loss": 1.2}, ["a"], "finished", "g1", "train"),
    ("bert-2", {"lr": 0.01, "opt": "adam", "model": {"layers": 4}}, {"acc": 0.70, "val/loss": 0.9}, ["a", "b"], "finished", "g1", "train"),
    ("bert-3", {"lr": 0.001, "opt": "sgd", "model": {"layers": 8}}, {"acc": 0.90, "val/loss": 0.4}, ["b"], "finished", "g1", "eval"),
    ("gpt-1", {"lr": 0.1, "opt": "sgd", "model": {"layers": 2}}, {"acc": 0.30}, [], "failed", "g2", "train"),
    ("gpt-2", {"lr": 0.01, "opt": "sgd", "model": {"layers": 4}}, {"acc": 0.95}, ["best"], "finished", "g2", "train"),
    ("gpt-3", {"lr": 0.001, "opt": "adam"}, {}, ["a"], "running", "g2", "eval"),
    ("Bert-4", {"lr": 0.05, "opt": "adamw", "model": {"layers": 6}}, {"acc": 0.80, "val/loss": 0.5}, ["b", "best"], "finished", "", ""),
    ("t5-1", {"lr": 0.1, "opt": "adam", "dropout": 0.1}, {"acc": 0.60}, ["c"], "failed", "", "train"),
    ("t5-2", {"lr": 0.02, "opt": "adamw", "dropout": 0.0}, {"acc": 0.85, "note": "ok"}, ["c", "a"], "finished", "g3", "train"),
    ("t5-3", {"lr": 0.003, "opt": "sgd"}, {"acc": 0.40}, [], "running", "g3", ""),
    ("xl-1", {"lr": 0.2, "opt": "adam", "warmup": True}, {"acc": 0.75}, ["b"], "finished", "", "eval"),
    ("xl-2", {"lr": 0.0005, "opt": "sgd", "warmup": False}, {"acc": 0.65, "val/loss": 0.7}, ["a", "c"], "failed", "g1", "train"),
]

# A W&B filter, and the filter string that says the same by hand.
SAME_QUERIES: list[tuple[dict[str, Any], str]] = [
    ({"state": "finished"}, 'state = "finished"'),
    ({"config.lr": {"$lt": 0.01}}, "config.lr < 0.01"),
    ({"config.lr.value": {"$gte": 0.05}}, "config.lr >= 0.05"),
    ({"config.opt": {"$in": ["adamw", "sgd"]}}, 'config.opt in ("adamw", "sgd")'),
    ({"config.opt": {"$nin": ["adam", "sgd"]}}, 'config.opt = "adamw"'),
    ({"config.model.layers": {"$gt": 2, "$lte": 6}}, "config.model.layers > 2 and config.model.layers <= 6"),
    ({"config.dropout": {"$exists": True}}, "config.dropout exists"),
    ({"config.warmup": True}, "config.warmup = true"),
    ({"summary_metrics.acc": {"$gt": 0.7}}, "summary.acc > 0.7"),
    ({"summary_metrics.acc": {"$ne": 0.5}}, "not summary.acc = 0.5"),
    ({"summary_metrics.val/loss": {"$lt": 0.8}}, "summary.`val/loss` < 0.8"),
    ({"summary_metrics.acc": {"$exists": False}}, "summary.acc not exists"),
    ({"tags": "a"}, 'tags contains "a"'),
    ({"tags": {"$in": ["best", "c"]}}, 'tags contains "best" or tags contains "c"'),
    ({"tags": {"$nin": ["a", "b"]}}, 'not tags contains "a" and not tags contains "b"'),
    ({"display_name": {"$regex": "^bert"}}, 'name ~ "^bert"'),
    ({"display_name": {"$regex": "^bert", "$options": "i"}}, 'name in ("bert-1", "bert-2", "bert-3", "Bert-4")'),
    ({"group": "g1", "jobType": "train"}, 'group = "g1" and job_type = "train"'),
    ({"$or": [{"state": "failed"}, {"tags": "best"}]}, 'state = "failed" or tags contains "best"'),
    ({"$nor": [{"state": "finished"}, {"state": "running"}]}, 'state = "failed"'),
    (
        {"$and": [{"$or": [{"config.opt": "adam"}, {"config.opt": "adamw"}]}, {"summary_metrics.acc": {"$gte": 0.6}}]},
        '(config.opt = "adam" or config.opt = "adamw") and summary.acc >= 0.6',
    ),
    ({"createdAt": {"$gt": "2000-01-01T00:00:00Z"}, "state": "running"}, 'state = "running"'),
    ({"username": "nobody-at-all"}, 'user = "nobody-at-all"'),
]


@pytest.fixture(scope="module")
def seeded(cairn_server: Any) -> dict[str, str]:
    """The dozen runs, made as a client of the protocol would; name -> run id."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {cairn_server.api_key}"
    base = f"{cairn_server.url}/api/v1/projects/{cairn_server.org}/{PROJECT}/runs"
    ids = {}
    for i, (name, config, summary, tags, state, group, job_type) in enumerate(RUNS):
        run_id = f"seed-{i}"
        body = {"name": name, "config": config, "tags": tags, "group": group, "job_type": job_type}
        assert s.put(f"{base}/{run_id}", json=body).status_code in (200, 201)
        if summary:
            assert s.patch(f"{base}/{run_id}", json={"summary": summary}).status_code == 200
        if state != "running":
            assert s.post(f"{base}/{run_id}/finish", json={"exit_code": 0 if state == "finished" else 1}).ok
        ids[name] = run_id
    return ids


@pytest.fixture
def api(cairn_server: Any) -> agent.Api:
    return agent.Api(overrides={"base_url": cairn_server.url, "entity": cairn_server.org}, api_key=cairn_server.api_key)


def _names(runs: Any) -> list[str]:
    return [run.name for run in runs]


@pytest.mark.parametrize(("mongo", "text"), SAME_QUERIES, ids=[t for _, t in SAME_QUERIES])
def test_a_w_and_b_filter_selects_the_runs_of_the_filter_string(
    api: agent.Api, seeded: dict[str, str], mongo: dict[str, Any], text: str
) -> None:
    seeded_names = {name for name, *_ in RUNS}  # other tests add runs to the project
    by_dict = sorted(set(_names(api.runs(PROJECT, filters=mongo))) & seeded_names)
    by_text = sorted(set(_names(api.runs(PROJECT, filters=text))) & seeded_names)
    assert by_dict == by_text
    # Each query selects some of the runs but not all (the user one: none), so a wrong translation shows.
    assert len(by_dict) < len(RUNS) and (by_dict or "nobody" in text)


def test_orders_in_w_and_b_spelling(api: agent.Api, seeded: dict[str, str]) -> None:
    best_first = _names(api.runs(PROJECT, filters={"summary_metrics.acc": {"$exists": True}}, order="-summary_metrics.acc"))
    assert best_first[:3] == ["gpt-2", "bert-3", "t5-2"]
    seeds = {"name": {"$regex": "^seed-"}}  # W&B's `name` is the run id
    lowest_lr = _names(api.runs(f"{api.default_entity}/{PROJECT}", filters=seeds, order="+config.lr.value"))
    assert lowest_lr[0] == "xl-2" and set(lowest_lr[1:3]) == {"bert-3", "gpt-3"} and lowest_lr[-1] == "xl-1"
    assert _names(api.runs(PROJECT, filters=seeds))[:2] == ["bert-1", "bert-2"]  # W&B's default: oldest first
    assert _names(api.runs(PROJECT, filters=seeds, order="-createdAt"))[0] == "xl-2"
    runs = api.runs(PROJECT, filters={"tags": "a"}, per_page=2)
    assert len(runs) == 5 and runs[-1].name == "xl-2" and len(list(runs)) == 5


def test_a_filter_with_no_translation_is_refused_before_any_request(api: agent.Api) -> None:
    with pytest.raises(UsageError, match="'system_metrics' is not supported"):
        api.runs(PROJECT, filters={"system_metrics": 1})


def test_paths_default_to_the_overrides_and_the_keys_organisation(cairn_server: Any, seeded: dict[str, str]) -> None:
    plain = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key)
    assert plain.default_entity == cairn_server.org  # the key's default organisation
    assert plain.viewer.entity == cairn_server.org and plain.viewer()["default_org"] == cairn_server.org
    assert plain.viewer.username and cairn_server.org in plain.viewer.teams
    run_id = seeded["gpt-2"]
    forms = [
        f"{cairn_server.org}/{PROJECT}/{run_id}",
        f"{PROJECT}/{run_id}",
        f"{cairn_server.org}/{PROJECT}/runs/{run_id}",
        f"{cairn_server.url}/{cairn_server.org}/{PROJECT}/runs/{run_id}",
    ]
    assert {plain.run(form).name for form in forms} == {"gpt-2"}
    scoped = agent.Api(
        overrides={"base_url": cairn_server.url, "entity": cairn_server.org, "project": PROJECT},
        api_key=cairn_server.api_key,
    )
    assert scoped.run(run_id).name == "gpt-2" and len(scoped.runs()) >= len(RUNS)
    projects = {p.name: p for p in scoped.projects()}
    assert PROJECT in projects and projects[PROJECT].entity == cairn_server.org
    assert scoped.project(PROJECT).path == [cairn_server.org, PROJECT]
    with pytest.raises(NotFound):
        scoped.project("no-such-project")
    scoped.flush()


def test_a_run_has_w_and_b_attributes_and_writes_back(api: agent.Api, cairn_server: Any) -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {cairn_server.api_key}"
    url = f"{cairn_server.url}/api/v1/projects/{cairn_server.org}/{PROJECT}/runs/edit-1"
    s.put(url, json={"name": "before", "config": {"lr": 0.1, "drop": 0.5}, "tags": ["x"]}).raise_for_status()
    s.patch(url, json={"summary": {"acc": 0.5}}).raise_for_status()

    run = api.run(f"{PROJECT}/edit-1")
    assert (run.id, run.name, run.display_name, run.entity, run.project) == ("edit-1", "before", "before", "local", PROJECT)
    assert run.path == ["local", PROJECT, "edit-1"] and run.url.endswith(f"/local/{PROJECT}/runs/edit-1")
    assert run.state == "running" and run.sweep is None and run.lastHistoryStep == -1 and run.created_at
    assert run.summary["acc"] == run.summary.acc == 0.5 and run.summary.get("nope", 3) == 3 and run.summary._json_dict == {"acc": 0.5}

    run.name = "after"
    run.tags.append("y")
    run.notes, run.group, run.job_type = "n", "grp", "jt"
    run.config["lr"] = 0.2
    del run.config["drop"]
    run.summary["best"] = 0.9
    run.update()
    again = api.run(f"local/{PROJECT}/edit-1")
    assert (again.name, again.tags, again.notes, again.group, again.job_type) == ("after", ["x", "y"], "n", "grp", "jt")
    assert again.config == {"lr": 0.2} and again.summary._json_dict == {"acc": 0.5, "best": 0.9}

    again.summary.update({"acc": 0.6})
    assert api.run(f"local/{PROJECT}/edit-1").summary["acc"] == 0.6
    run.load()
    assert run.summary["acc"] == 0.6

    run.delete()
    with pytest.raises(NotFound):
        api.run(f"local/{PROJECT}/edit-1")


def test_history_files_and_scans_of_a_logged_run(api: agent.Api, cairn_server: Any, tmp_path: Path) -> None:
    env = {"CAIRN_BASE_URL": cairn_server.url, "CAIRN_API_KEY": cairn_server.api_key, "CAIRN_ORG": cairn_server.org}
    run_script(
        f"""
        import agent
        run = agent.init(project="{PROJECT}", id="logged-1", config={{"lr": 0.1}})
        for step in range(50):
            row = {{"loss": 1.0 / (step + 1)}}
            if step % 10 == 0:
                row["val/acc"] = step / 100
            run.log(row)
        with open("weights.bin", "wb") as fh:
            fh.write(b"w" * 100)
        run.save("weights.bin")
        run.finish()
        """,
        tmp_path,
        env=env,
    )
    run = api.run(f"{PROJECT}/logged-1")
    assert run.lastHistoryStep == 49

    rows = run.history(pandas=False)
    assert [r["_step"] for r in rows] == list(range(50))
    assert rows[3]["loss"] == pytest.approx(0.25) and rows[10]["val/acc"] == pytest.approx(0.1)
    sparse = run.history(keys=["loss", "val/acc"], pandas=False)  # rows holding every key, as W&B
    assert [r["_step"] for r in sparse] == [0, 10, 20, 30, 40]
    assert [r["_step"] for r in run.history(samples=5, keys=["val/acc"], pandas=False)] == [0, 10, 20, 30, 40]

    scanned = list(run.scan_history())
    assert [r["_step"] for r in scanned] == list(range(50))
    assert scanned[7]["loss"] == pytest.approx(1 / 8)
    start = scanned[0]["_timestamp"] - scanned[0]["_runtime"]
    assert all(r["_timestamp"] - r["_runtime"] == pytest.approx(start) and r["_runtime"] >= 0 for r in scanned)
    window = list(run.scan_history(keys=["loss"], min_step=10, max_step=15))  # max_step exclusive, as W&B
    assert [r["_step"] for r in window] == [10, 11, 12, 13, 14] and set(window[0]) == {"_step", "_timestamp", "_runtime", "loss"}
    assert [r["_step"] for r in run.scan_history(keys=["val/acc"], min_step=15)] == [20, 30, 40]
    assert list(run.scan_history(min_step=60)) == [] and list(run.scan_history(max_step=0)) == []
    histories = api.runs(PROJECT, filters={"name": "logged-1"}).histories(keys=["val/acc"])
    assert [(r["run_id"], r["_step"]) for r in histories] == [("logged-1", s) for s in (0, 10, 20, 30, 40)]

    files = {f.name: f for f in run.files()}
    weights = files["weights.bin"]
    assert weights.size == 100 and weights.sha256 and weights.md5 is None and weights.url.startswith(cairn_server.url)
    assert [f.name for f in run.files(names=["weights.bin", "missing"])] == ["weights.bin"]
    root = tmp_path / "dl"
    local = run.file("weights.bin").download(root=str(root))
    local.close()
    assert Path(local.name).read_bytes() == b"w" * 100
    with pytest.raises(ValueError, match="already exists"):
        weights.download(root=str(root))
    Path(local.name).write_bytes(b"local")
    weights.download(root=str(root), exist_ok=True).close()
    assert Path(local.name).read_bytes() == b"local"
    weights.download(root=str(root), replace=True).close()
    assert Path(local.name).read_bytes() == b"w" * 100 and not os.path.exists(local.name + ".part")
    with pytest.raises(NotFound):
        run.file("missing")
    with pytest.raises(UsageError, match="not supported"):
        weights.delete()
