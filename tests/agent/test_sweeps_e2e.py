"""Sweeps end to end: `cairn sweep` and `cairn agent` in real processes against a real server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from tests.agent.conftest import AGENT_SETTINGS, ROOT

pytestmark = pytest.mark.server

# A training script as W&B users write them: argparse for the sweep's arguments, then init.
TRAIN = """
import argparse, json, os, sys, time
import agent

p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--batch_size", type=int, default=8)
p.add_argument("--optimizer", default="sgd")
args, _ = p.parse_known_args()
with agent.init() as run:
    if os.path.exists("hang-once"):
        os.unlink("hang-once")
        open("hanging", "w").close()
        time.sleep(600)
    for i in range(3):
        agent.log({"val_loss": args.lr * args.batch_size / (i + 1)})
    with open(f"seen-{run.id}.json", "w") as fh:
        json.dump({"args": vars(args), "config": dict(run.config), "sweep_id": run.sweep_id, "project": run.project}, fh)
"""

# W&B's own format, unchanged: what `wandb sweep sweep.yaml` takes.
SWEEP_YAML = """\
program: train.py
method: grid
metric:
  name: val_loss
  goal: minimize
parameters:
  lr:
    values: [0.1, 0.01]
  batch_size:
    values: [16, 32]
  optimizer:
    value: adam
command:
  - ${env}
  - ${interpreter}
  - ${program}
  - ${args}
"""


def _env(server: Any, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in AGENT_SETTINGS and not k.startswith("WANDB_")}
    env.update(
        PYTHONPATH=str(ROOT), CAIRN_BASE_URL=server.url, CAIRN_API_KEY=server.api_key, CAIRN_ORG=server.org,
        CAIRN_AGENT_HEARTBEAT="0.5", CAIRN_AGENT_GRACE="3", CAIRN_QUIET="true",
    )
    env.update(extra)
    return env


def _cairn(server: Any, cwd: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args], cwd=cwd, env=_env(server), text=True, capture_output=True, timeout=timeout
    )


def _agent(server: Any, cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "agent", *args], cwd=cwd, env=_env(server), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def _get(server: Any, path: str) -> Any:
    r = requests.get(f"{server.url}/api/v1/{path}", headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30)
    r.raise_for_status()
    return r.json()


def _post(server: Any, path: str, body: Any = None) -> Any:
    r = requests.post(f"{server.url}/api/v1/{path}", json=body, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30)
    r.raise_for_status()
    return r.json()


def _wait(what: Callable[[], Any], timeout: float = 90, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"timed out: {message}")


def _create(server: Any, cwd: Path, project: str, config: str) -> str:
    (cwd / "sweep.yaml").write_text(config)
    (cwd / "train.py").write_text(textwrap.dedent(TRAIN))
    made = _cairn(server, cwd, "sweep", "sweep.yaml", "--project", project)
    assert made.returncode == 0, made.stderr
    path = made.stdout.strip()
    assert path.startswith(f"{server.org}/{project}/")
    return path


def _trials(server: Any, path: str) -> list[dict[str, Any]]:
    org, project, sweep_id = path.split("/")
    return list(_get(server, f"projects/{org}/{project}/sweeps/{sweep_id}/runs")["results"])


def _sweep(server: Any, path: str) -> dict[str, Any]:
    org, project, sweep_id = path.split("/")
    return dict(_get(server, f"projects/{org}/{project}/sweeps/{sweep_id}"))


def test_a_wandb_sweep_file_runs_unchanged_and_grid_exhaustion_ends_it(cairn_server: Any, tmp_path: Path) -> None:
    path = _create(cairn_server, tmp_path, "sweep-grid", SWEEP_YAML)
    ran = _cairn(cairn_server, tmp_path, "agent", path)
    assert ran.returncode == 0, ran.stderr
    assert "nothing more to run" in ran.stderr
    trials = _trials(cairn_server, path)
    assert sorted((t["params"]["lr"], t["params"]["batch_size"]) for t in trials) == [(0.01, 16), (0.01, 32), (0.1, 16), (0.1, 32)]
    for t in trials:
        assert t["state"] == "finished" and t["run_state"] == "finished"
        assert t["metric"] == pytest.approx(t["params"]["lr"] * t["params"]["batch_size"] / 3)
        seen = json.loads((tmp_path / f"seen-{t['run_id']}.json").read_text())
        # The program got the parameters as arguments and in its config, and knows its sweep.
        assert seen["args"] == {"lr": t["params"]["lr"], "batch_size": t["params"]["batch_size"], "optimizer": "adam"}
        assert seen["config"] == t["params"] and seen["sweep_id"] == path.split("/")[2] and seen["project"] == "sweep-grid"
    assert _sweep(cairn_server, path)["state"] == "finished"
    best = min(trials, key=lambda t: t["metric"])
    assert _sweep(cairn_server, path)["best_run_id"] == best["run_id"]
    # W&B's read API: api.sweep(path), its runs and best run.
    import agent

    api = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key)
    sweep = api.sweep(path)
    assert sweep.state == "finished" and sweep.config["method"] == "grid"
    assert sorted(r.id for r in sweep.runs) == sorted(t["run_id"] for t in trials)
    assert sweep.best_run().id == best["run_id"]
    # W&B's filter on a sweep, and a run's sweep.
    org, project, sweep_id = path.split("/")
    found = list(api.runs(f"{org}/{project}", filters={"sweep": sweep_id}))
    assert sorted(r.id for r in found) == sorted(t["run_id"] for t in trials)
    assert found[0].sweep_name == sweep_id and found[0].sweep.id == sweep_id


def test_agents_in_parallel_stop_at_run_cap_exactly(cairn_server: Any, tmp_path: Path) -> None:
    config = "program: train.py\nmethod: random\nrun_cap: 7\nparameters:\n  lr: {distribution: log_uniform_values, min: 0.001, max: 0.1}\n"
    path = _create(cairn_server, tmp_path, "sweep-cap", config)
    agents = [_agent(cairn_server, tmp_path, path) for _ in range(4)]
    for a in agents:
        out, _ = a.communicate(timeout=240)
        assert a.returncode == 0, out
    trials = _trials(cairn_server, path)
    assert len(trials) == 7 and all(t["state"] == "finished" for t in trials)
    assert len({t["run_id"] for t in trials}) == 7
    assert _sweep(cairn_server, path)["state"] == "finished"


def test_an_agent_killed_mid_run_leaves_a_crashed_run_and_the_sweep_goes_on(cairn_server: Any, tmp_path: Path) -> None:
    config = "program: train.py\nmethod: random\nrun_cap: 3\nparameters:\n  lr: {min: 0.01, max: 0.1}\n"
    path = _create(cairn_server, tmp_path, "sweep-kill", config)
    (tmp_path / "hang-once").touch()
    first = _agent(cairn_server, tmp_path, path)
    _wait(lambda: (tmp_path / "hanging").exists() and any(t["run_state"] == "running" for t in _trials(cairn_server, path)), message="the first run starts")
    first.send_signal(signal.SIGKILL)
    first.wait()
    _wait(lambda: [t for t in _trials(cairn_server, path) if t["run_state"] == "crashed"], message="the run is marked crashed")
    second = _cairn(cairn_server, tmp_path, "agent", path)
    assert second.returncode == 0, second.stderr
    states = sorted(t["state"] for t in _trials(cairn_server, path))
    assert states == ["crashed", "finished", "finished"]
    assert _sweep(cairn_server, path)["state"] == "finished"


def test_cancel_from_the_server_reaches_a_running_agent(cairn_server: Any, tmp_path: Path) -> None:
    config = "program: train.py\nmethod: random\nparameters:\n  lr: {min: 0.01, max: 0.1}\n"
    path = _create(cairn_server, tmp_path, "sweep-cancel", config)
    (tmp_path / "hang-once").touch()
    running = _agent(cairn_server, tmp_path, path)
    _wait(lambda: (tmp_path / "hanging").exists() and any(t["run_state"] == "running" for t in _trials(cairn_server, path)), message="the run starts")
    org, project, sweep_id = path.split("/")
    assert _post(cairn_server, f"projects/{org}/{project}/sweeps/{sweep_id}/control/cancel")["state"] == "cancelled"
    out, _ = running.communicate(timeout=60)
    assert running.returncode == 0 and "the sweep was cancelled" in out
    trial = _wait(lambda: [t for t in _trials(cairn_server, path) if t["state"] == "stopped"], message="the run ends")[0]
    assert trial["stop_reason"] == "the sweep was cancelled"


def test_pause_holds_agents_and_resume_lets_them_go_on(cairn_server: Any, tmp_path: Path) -> None:
    config = "program: train.py\nmethod: grid\nparameters:\n  lr: {values: [0.1, 0.2, 0.3]}\n"
    path = _create(cairn_server, tmp_path, "sweep-pause", config)
    org, project, sweep_id = path.split("/")
    _post(cairn_server, f"projects/{org}/{project}/sweeps/{sweep_id}/control/pause")
    waiting = _agent(cairn_server, tmp_path, path)
    time.sleep(3)
    assert waiting.poll() is None and _trials(cairn_server, path) == []
    _post(cairn_server, f"projects/{org}/{project}/sweeps/{sweep_id}/control/resume")
    out, _ = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, out
    assert len(_trials(cairn_server, path)) == 3


def test_the_python_api_runs_a_function_in_process(cairn_server: Any, tmp_path: Path) -> None:
    script = tmp_path / "sweep_fn.py"
    script.write_text(textwrap.dedent("""
        import json, agent
        seen = []
        def train():
            with agent.init() as run:
                agent.log({"loss": run.config.x ** 2})
                seen.append((run.id, run.sweep_id, dict(run.config)))
        sweep_id = agent.sweep({"method": "random", "metric": {"name": "loss"}, "parameters": {"x": {"min": -1.0, "max": 1.0}}}, project="sweep-fn")
        agent.agent(sweep_id, function=train, count=3, project="sweep-fn")
        print(json.dumps({"sweep": sweep_id, "seen": seen}))
    """))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_env(cairn_server), text=True, capture_output=True, timeout=180)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    path = f"{cairn_server.org}/sweep-fn/{out['sweep']}"
    trials = {t["run_id"]: t for t in _trials(cairn_server, path)}
    assert len(trials) == 3 and len(out["seen"]) == 3
    for run_id, sweep_id, config in out["seen"]:
        assert sweep_id == out["sweep"] and config == trials[run_id]["params"]
        assert trials[run_id]["state"] == "finished" and trials[run_id]["metric"] == pytest.approx(config["x"] ** 2)
    assert _sweep(cairn_server, path)["state"] == "running"  # no run_cap: a random sweep goes on


def test_a_bad_sweep_file_is_refused_with_the_servers_reason(cairn_server: Any, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("method: grid\nparameters:\n  lr: {min: 0.0, max: 1.0}\n")
    made = _cairn(cairn_server, tmp_path, "sweep", "bad.yaml", "--project", "sweep-bad")
    assert made.returncode == 1 and "grid needs values" in made.stderr


def test_an_agent_survives_a_server_restart(fresh_server: Any, tmp_path: Path) -> None:
    config = "program: train.py\nmethod: grid\nparameters:\n  lr: {values: [0.1, 0.2]}\n"
    path = _create(fresh_server, tmp_path, "sweep-restart", config)
    (tmp_path / "hang-once").touch()
    (tmp_path / "train.py").write_text(textwrap.dedent(TRAIN).replace("time.sleep(600)", "time.sleep(8)"))
    running = _agent(fresh_server, tmp_path, path)
    _wait(lambda: (tmp_path / "hanging").exists(), message="the first run starts")
    fresh_server.kill()
    time.sleep(3)
    fresh_server.start()
    out, _ = running.communicate(timeout=180)
    assert running.returncode == 0, out
    # The agent is done once its programs exit; a run's own background process may still be
    # uploading its finish (the first run outlived the server), so its trial ends soon after.
    _wait(lambda: all(t["state"] == "finished" for t in _trials(fresh_server, path)),
          message=f"both trials finish: {_trials(fresh_server, path)}")
    assert len(_trials(fresh_server, path)) == 2
