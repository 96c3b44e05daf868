"""How a training script ends decides how its run ends: exit code and state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import agent
from agent._state import read_json
from tests.agent.conftest import run_dirs, run_script
from tests.agent.test_faults import wait_done


def _ended(tmp_path: Path) -> Any:
    run_dir = run_dirs(tmp_path)[0]
    wait_done(run_dir)
    return (read_json(str(run_dir / "state.json")) or {})["scan"]["ended"]


@pytest.mark.parametrize(
    ("ending", "status", "ended"),
    [
        ("sys.exit(3)", 3, {"exit_code": 3, "state": "failed"}),
        ("sys.exit(0)", 0, {"exit_code": 0, "state": "finished"}),
        ("sys.exit()", 0, {"exit_code": 0, "state": "finished"}),
        ("sys.exit('bad config')", 1, {"exit_code": 1, "state": "failed"}),
        ("raise ValueError('boom')", 1, {"exit_code": 1, "state": "failed"}),
        ("pass", 0, {"exit_code": 0, "state": "finished"}),
        # sys.exit() in a thread ends the thread, not the process.
        (
            "t = threading.Thread(target=sys.exit, args=(5,)); t.start(); t.join()",
            0,
            {"exit_code": 0, "state": "finished"},
        ),
    ],
)
def test_the_run_ends_with_the_exit_code_of_the_script(
    tmp_path: Path, ending: str, status: int, ended: dict[str, Any]
) -> None:
    result = run_script(
        f"""
        import sys, threading, agent
        agent.init(project="p", mode="offline", settings={{"quiet": True}})
        agent.log({{"x": 1}})
        {ending}
        """,
        tmp_path,
        check=False,
    )
    assert result.returncode == status, result.stderr
    assert _ended(tmp_path) == ended


@pytest.mark.parametrize(
    ("ending", "ended"),
    [
        ("sys.exit(4)", {"exit_code": 4, "state": "failed"}),
        ("raise SystemExit(0)", {"exit_code": 0, "state": "finished"}),
        ("raise KeyError('k')", {"exit_code": 1, "state": "failed"}),
    ],
)
def test_a_run_used_as_a_context_manager_ends_with_the_exit_code_of_its_block(
    tmp_path: Path, ending: str, ended: dict[str, Any]
) -> None:
    run_script(
        f"""
        import sys, agent
        with agent.init(project="p", mode="offline", settings={{"quiet": True}}):
            agent.log({{"x": 1}})
            {ending}
        """,
        tmp_path,
        check=False,
    )
    assert _ended(tmp_path) == ended


@pytest.mark.server
def test_sys_exit_marks_the_run_failed_on_the_server_with_its_code(
    cairn_server: Any, tmp_path: Path
) -> None:
    result = run_script(
        """
        import sys, agent
        agent.init(project="e2e", id="exit-3")
        for i in range(100):
            agent.log({"i": i})
        sys.exit(3)
        """,
        tmp_path,
        env={
            "CAIRN_BASE_URL": cairn_server.url,
            "CAIRN_API_KEY": cairn_server.api_key,
            "CAIRN_ORG": cairn_server.org,
        },
        check=False,
    )
    assert result.returncode == 3, result.stderr
    run = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key).run(
        f"{cairn_server.org}/e2e/exit-3"
    )
    assert (run.state, run.exit_code, run.streams["history"]) == ("failed", 3, 100)
