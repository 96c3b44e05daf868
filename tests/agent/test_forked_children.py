"""A forked child (a DataLoader worker) neither logs into its parent's run nor finishes it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent import _spool
from tests.agent.conftest import run_dirs, run_script, spool_records
from tests.agent.test_faults import wait_done


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="needs os.fork")
def test_a_forked_child_neither_logs_into_the_run_nor_finishes_it(tmp_path: Path) -> None:
    result = run_script(
        """
        import os, sys, agent
        agent.init(project="p", mode="offline", settings={"quiet": True})
        agent.log({"x": 0})
        pid = os.fork()
        if pid == 0:
            agent.log({"x": 99})
            print("child", agent.run)
            sys.exit(7)  # at exit, the child must not finish the parent's run failed
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 7, status
        agent.log({"x": 1})
        """,
        tmp_path,
    )
    assert "child None" in result.stdout
    run_dir = run_dirs(tmp_path)[0]
    wait_done(run_dir)
    history = spool_records(run_dir, kind=_spool.HISTORY)
    assert [(step, row) for step, _, row in history] == [(0, {"x": 0}), (1, {"x": 1})]
    assert spool_records(run_dir, kind=_spool.END) == [(0, "finished")]
