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


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="needs os.fork")
def test_a_forked_worker_that_logs_is_told_why_once(tmp_path: Path) -> None:
    result = run_script(
        """
        import multiprocessing, os, agent
        run = agent.init(project="p", id="forked-1", mode="offline", settings={"quiet": True})
        print("parent", os.getpid())

        def work(i):
            agent.log({"worker": i})
            agent.log({"worker": i + 1})  # warned once per process
            run.log({"worker": i + 2})  # the Run object itself too
            print("child", os.getpid(), flush=True)

        ctx = multiprocessing.get_context("fork")
        for i in range(2):
            p = ctx.Process(target=work, args=(i,))
            p.start()
            p.join()
            assert p.exitcode == 0, p.exitcode
        agent.log({"x": 1})
        """,
        tmp_path,
    )
    parent = next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("parent"))
    children = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("child")]
    warnings = [line for line in result.stderr.splitlines() if "forked process" in line]
    assert len(children) == 2 and len(warnings) == 2, result.stderr
    for child, warning in zip(children, warnings):
        assert (
            f"this is a forked process (pid {child}) of the process that started run forked-1"
            f" (pid {parent}); its logs are not recorded. To log from several processes, call"
            ' agent.init(id="forked-1", shared=True) in each (see docs/distributed.md)'
        ) in warning
    assert "before agent.init()" not in result.stderr
    run_dir = run_dirs(tmp_path)[0]
    wait_done(run_dir)
    history = spool_records(run_dir, kind=_spool.HISTORY)
    assert [(step, row) for step, _, row in history] == [(0, {"x": 1})]
