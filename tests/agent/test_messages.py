"""What the agent tells the person at the terminal: where the run is, and how it ended."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import agent
from tests.agent.conftest import AGENT_SETTINGS, ROOT, run_dirs, run_script

pytestmark = pytest.mark.server

NAME = re.compile(r"^[a-z]+-[a-z]+-\d+$")


def _env(server: Any) -> dict[str, str]:
    return {"CAIRN_BASE_URL": server.url, "CAIRN_API_KEY": server.api_key, "CAIRN_ORG": server.org}


def _lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("cairn: run ")]


def test_init_prints_the_runs_link_and_finish_its_readable_name(cairn_server: Any, tmp_path: Path) -> None:
    result = run_script(
        """
        import agent
        agent.init(project="msg", id="ok-1")
        agent.log({"x": 1})
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    url = f"{cairn_server.url}/{cairn_server.org}/msg/runs/ok-1"
    started, ended = _lines(result.stderr)
    assert started == f"cairn: run ok-1 started: {url}"
    run = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key).run(f"{cairn_server.org}/msg/ok-1")
    assert NAME.match(run.name), run.name  # no name given: the server made one
    assert ended == f"cairn: run {run.name} finished: {url}"


def test_a_name_given_is_kept_and_printed(cairn_server: Any, tmp_path: Path) -> None:
    result = run_script(
        'import agent\nagent.init(project="msg", id="named-1", name="baseline")\n',
        tmp_path,
        env=_env(cairn_server),
    )
    assert _lines(result.stderr)[-1].startswith("cairn: run baseline finished: ")
    run = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key).run(f"{cairn_server.org}/msg/named-1")
    assert run.name == "baseline"


@pytest.mark.parametrize(
    ("ending", "code"),
    [("sys.exit(3)", 3), ("raise ValueError('boom')", 1)],
)
def test_finish_says_the_run_failed_with_its_exit_code(
    cairn_server: Any, tmp_path: Path, ending: str, code: int
) -> None:
    run_id = f"fail-{code}"
    result = run_script(
        f"""
        import sys, agent
        agent.init(project="msg", id="{run_id}")
        agent.log({{"x": 1}})
        {ending}
        """,
        tmp_path,
        env=_env(cairn_server),
        check=False,
    )
    assert result.returncode == code
    url = f"{cairn_server.url}/{cairn_server.org}/msg/runs/{run_id}"
    assert re.fullmatch(rf"cairn: run [a-z]+-[a-z]+-\d+ failed \(exit code {code}\): {re.escape(url)}", _lines(result.stderr)[-1])
    assert "finished" not in _lines(result.stderr)[-1]


def test_an_offline_run_says_how_to_sync_it_at_init_and_at_finish(tmp_path: Path) -> None:
    result = run_script(
        'import agent\nagent.init(project="msg", id="off-1", mode="offline")\nagent.log({"x": 1})\n',
        tmp_path,
    )
    run_dir = run_dirs(tmp_path)[0]
    lines = result.stderr.splitlines()
    assert f"cairn: run off-1 started offline in {run_dir}" in lines
    assert lines.count(f"cairn: upload it with `cairn sync {run_dir}`") == 1  # at finish
    assert f"cairn: when it ends, upload it with `cairn sync {run_dir}`" in lines  # at init
    assert f"cairn: run off-1 finished, saved offline in {run_dir}" in lines


def _run_in_a_terminal(code: str, cwd: Path, env: dict[str, str], until: str, timeout: float = 60) -> str:
    """Run a script with a terminal as its stderr; return what reached the terminal until ``until``."""
    full_env = {k: v for k, v in os.environ.items() if k not in AGENT_SETTINGS and not k.startswith("WANDB_")}
    full_env.update(env, PYTHONPATH=str(ROOT))
    (cwd / "train.py").write_text(textwrap.dedent(code))
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "train.py"], cwd=str(cwd), env=full_env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=follower,
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while until.encode() not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(leader, 4096)
                except OSError:  # every writer closed the terminal
                    time.sleep(0.1)
    finally:
        proc.wait(timeout=30)
        os.close(leader)
    return seen.decode("utf-8", "replace").replace("\r\n", "\n")


def test_a_process_that_dies_without_finishing_is_told_its_run_crashed(
    cairn_server: Any, tmp_path: Path
) -> None:
    said = _run_in_a_terminal(
        """
        import os, agent
        agent.init(project="msg", id="crash-1")
        agent.log({"x": 1})
        os._exit(9)  # no atexit, no finish: as if killed
        """,
        tmp_path,
        _env(cairn_server),
        until="crashed",
    )
    url = f"{cairn_server.url}/{cairn_server.org}/msg/runs/crash-1"
    assert re.search(
        r"cairn: run [a-z]+-[a-z]+-\d+ crashed: the training process \(pid \d+\) ended without finishing it: "
        + re.escape(url),
        said,
    ), said
    run = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key).run(f"{cairn_server.org}/msg/crash-1")
    assert run.state == "crashed"
