"""The experiment fingerprint: computed at init, kept by the server, and skip_if_done against a real one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from agent import _fingerprint
from tests.agent.conftest import ROOT

TRAIN = """
import agent, json, sys
run_id, cfg, data, skip, fail = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", sys.argv[5] == "1"
with agent.init(project="fp", id=run_id, config=cfg, fingerprint_exclude=["seed"], skip_if_done=skip) as run:
    print("TRAINING", run_id)
    if data:
        run.use_artifact(data)
    run.summary["acc"] = 0.75
    if fail:
        raise RuntimeError("diverged")
"""

LOG = """
import agent, sys
with agent.init(project="fp", id=sys.argv[1]) as run:
    art = agent.Artifact("ds", type="dataset")
    with art.new_file("rows.txt") as f:
        f.write(sys.argv[2])
    run.log_artifact(art)
    art.wait(60)
"""


# -- the parts, computed here --------------------------------------------------------


def test_an_excluded_key_leaves_the_config_part_alone_and_any_other_changes_it() -> None:
    one = _fingerprint.config_part({"lr": 0.1, "seed": 1, "opt": {"b": 2, "a": 1}}, ["seed"])[0]
    assert one == _fingerprint.config_part({"opt": {"a": 1, "b": 2}, "seed": 7, "lr": 0.1}, ["seed"])[0]
    assert one != _fingerprint.config_part({"lr": 0.1, "seed": 1, "opt": {"b": 2, "a": 1}}, [])[0]
    assert one == _fingerprint.config_part({"lr": 0.1, "seed": 3, "opt": {"b": 2, "a": 1}}, "seed")[0]
    assert one != _fingerprint.config_part({"lr": 0.1000001, "seed": 1, "opt": {"b": 2, "a": 1}}, ["seed"])[0]
    assert one != _fingerprint.config_part({"lr": 0.1, "seed": 1, "opt": {"b": 2, "a": 1.0}}, ["seed"])[0]


def _git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@b", GIT_COMMITTER_NAME="a", GIT_COMMITTER_EMAIL="a@b")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def test_the_code_part_is_the_commit_and_the_diff(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "train.py").write_text("print(1)\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "one")
    clean, details = _fingerprint.code_part(str(tmp_path), str(tmp_path / "train.py"))
    assert details["commit"] == _git(tmp_path, "rev-parse", "HEAD")
    (tmp_path / "train.py").write_text("print(2)\n")
    dirty = _fingerprint.code_part(str(tmp_path), str(tmp_path / "train.py"))[0]
    assert dirty != clean
    _git(tmp_path, "checkout", "train.py")
    assert _fingerprint.code_part(str(tmp_path), None)[0] == clean
    _git(tmp_path, "pack-refs", "--all")  # the branch now lives in packed-refs only
    assert _fingerprint.code_part(str(tmp_path), None)[1]["commit"] == details["commit"]


def test_without_git_the_code_part_is_the_scripts_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRN_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "train.py").write_text("import lib\n")
    (tmp_path / "lib.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("not code")
    first, details = _fingerprint.code_part(str(tmp_path), str(tmp_path / "train.py"))
    assert sorted(details["files"]) == ["lib.py", "train.py"]
    (tmp_path / "notes.txt").write_text("still not code")
    assert _fingerprint.code_part(str(tmp_path), str(tmp_path / "train.py"))[0] == first
    (tmp_path / "lib.py").write_text("x = 2\n")  # the same size: its mtime tells it changed
    second = _fingerprint.code_part(str(tmp_path), str(tmp_path / "train.py"))[0]
    assert second != first
    assert (tmp_path / "cache" / "fingerprint" / "files.json").exists()
    (tmp_path / "cache" / "fingerprint" / "files.json").unlink()  # the cache only saves reading
    assert _fingerprint.code_part(str(tmp_path), str(tmp_path / "train.py"))[0] == second


def test_the_packages_are_those_importlib_metadata_finds() -> None:
    from importlib import metadata

    expected: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            expected.setdefault(_fingerprint._normal(name), dist.version)
    assert _fingerprint.packages() == expected


# -- against a real server -----------------------------------------------------------


def _run(server: Any, cwd: Path, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    (cwd / "s.py").write_text(code)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAIRN_", "WANDB_"))}
    env.update(CAIRN_BASE_URL=server.url, CAIRN_API_KEY=server.api_key, CAIRN_ORG=server.org,
               CAIRN_CACHE_DIR=str(cwd / "cache"), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "s.py", *args], cwd=str(cwd), env=env, text=True,
                          capture_output=True, timeout=120)


def _train(server: Any, cwd: Path, run_id: str, cfg: dict[str, Any], data: str = "", skip: bool = True,
           fail: bool = False) -> subprocess.CompletedProcess[str]:
    return _run(server, cwd, TRAIN, run_id, json.dumps(cfg), data, "1" if skip else "0", "1" if fail else "0")


def _check(server: Any, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAIRN_", "WANDB_"))}
    env.update(CAIRN_BASE_URL=server.url, CAIRN_API_KEY=server.api_key, CAIRN_ORG=server.org, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "agent.cli", "check", "s.py", "--project", "fp", *args]
    return subprocess.run(command, cwd=str(cwd), env=env, text=True, capture_output=True, timeout=60)


def _fp(server: Any, run_id: str) -> dict[str, Any]:
    url = f"{server.url}/api/v1/projects/{server.org}/fp/runs/{run_id}/fingerprint"
    r = requests.get(url, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=10)
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.mark.server
def test_skip_if_done_finds_the_finished_run_before_training(cairn_server: Any, tmp_path: Path) -> None:
    first = _train(cairn_server, tmp_path, "first", {"lr": 0.1, "seed": 1})
    assert first.returncode == 0 and "TRAINING first" in first.stdout, first.stderr

    # Only the excluded seed differs: the script ends before training, with status 0.
    again = _train(cairn_server, tmp_path, "again", {"lr": 0.1, "seed": 2})
    assert again.returncode == 0, again.stderr
    assert "TRAINING" not in again.stdout
    assert "already ran" in again.stderr and "/fp/runs/first" in again.stderr
    assert '"acc":0.75' in again.stderr

    # `cairn check` asks the same, without running the script: 0 when it already ran, 1 when not.
    (tmp_path / "cfg.json").write_text(json.dumps({"lr": 0.1, "seed": 9}))
    assert _check(cairn_server, tmp_path, "--config", "cfg.json", "--exclude", "seed,other").returncode == 0
    (tmp_path / "cfg.json").write_text(json.dumps({"lr": 0.4, "seed": 9}))
    assert _check(cairn_server, tmp_path, "--config", "cfg.json", "--exclude", "seed").returncode == 1

    changed = _train(cairn_server, tmp_path, "changed", {"lr": 0.2, "seed": 1})
    assert "TRAINING changed" in changed.stdout, changed.stderr

    # A failed run of an experiment is no reason to skip it.
    failed = _train(cairn_server, tmp_path, "failed", {"lr": 0.3}, fail=True)
    assert failed.returncode != 0 and "TRAINING failed" in failed.stdout
    retry = _train(cairn_server, tmp_path, "retry", {"lr": 0.3})
    assert retry.returncode == 0 and "TRAINING retry" in retry.stdout, retry.stderr


@pytest.mark.server
def test_the_data_part_follows_the_input_artifact(cairn_server: Any, tmp_path: Path) -> None:
    assert _run(cairn_server, tmp_path, LOG, "make-v0", "rows v0").returncode == 0
    cfg = {"lr": 0.5}
    assert "TRAINING d1" in _train(cairn_server, tmp_path, "d1", cfg, "ds:latest", skip=False).stdout
    assert "TRAINING d2" in _train(cairn_server, tmp_path, "d2", cfg, "ds:latest", skip=False).stdout
    d1, d2 = _fp(cairn_server, "d1"), _fp(cairn_server, "d2")
    assert d1["whole"] == d2["whole"]  # an identical rerun: the same fingerprint

    skipped = _train(cairn_server, tmp_path, "d3", cfg, "ds:latest")
    assert "TRAINING" not in skipped.stdout and "already ran" in skipped.stderr

    assert _run(cairn_server, tmp_path, LOG, "make-v1", "rows v1").returncode == 0
    # Only the data changed (ds:latest is v1 now): the run is not skipped, and its fingerprint differs.
    d4 = _train(cairn_server, tmp_path, "d4", cfg, "ds:latest")
    assert "TRAINING d4" in d4.stdout, d4.stderr
    fp4 = _fp(cairn_server, "d4")
    assert fp4["base"] == d1["base"] and fp4["data"] != d1["data"] and fp4["whole"] != d1["whole"]


def test_skip_if_done_never_stops_a_run_it_cannot_check(tmp_path: Path) -> None:
    code = "import agent\nrun = agent.init(project='fp', skip_if_done=True, mode=MODE, settings={'linger_timeout': 1.0})\nprint('TRAINING')\nrun.finish()\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAIRN_", "WANDB_"))}
    # Nothing listens on port 9: the server cannot be asked.
    env.update(CAIRN_BASE_URL="http://127.0.0.1:9", CAIRN_API_KEY="cairn_x", CAIRN_ORG="acme",
               CAIRN_FINISH_TIMEOUT="1", PYTHONPATH=str(ROOT))
    for mode, said in (("'online'", "could not ask the server"), ("'offline'", "not checked in offline mode")):
        (tmp_path / "s.py").write_text(code.replace("MODE", mode))
        result = subprocess.run([sys.executable, "s.py"], cwd=str(tmp_path), env=env, text=True,
                                capture_output=True, timeout=120)
        assert "TRAINING" in result.stdout, result.stderr
        assert said in result.stderr


@pytest.mark.server
def test_an_offline_runs_fingerprint_goes_up_with_cairn_sync(cairn_server: Any, tmp_path: Path) -> None:
    code = "import agent\nwith agent.init(project='fp', id='offline-fp', mode='offline', config={'lr': 9}):\n    pass\n"
    (tmp_path / "s.py").write_text(code)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAIRN_", "WANDB_"))}
    env.update(CAIRN_BASE_URL=cairn_server.url, CAIRN_API_KEY=cairn_server.api_key, CAIRN_ORG=cairn_server.org,
               PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "s.py"], cwd=str(tmp_path), env=env, check=True, capture_output=True, timeout=120)
    sync = subprocess.run([sys.executable, "-m", "agent.cli", "sync", "--all"], cwd=str(tmp_path), env=env,
                          text=True, capture_output=True, timeout=120)
    assert sync.returncode == 0, sync.stdout + sync.stderr
    fp = _fp(cairn_server, "offline-fp")
    assert fp["config"] == _fingerprint.config_part({"lr": 9})[0]
    assert fp["details"]["env"]["python"].startswith(sys.implementation.name)
