from __future__ import annotations

import time
from pathlib import Path

import agent
from tests.agent.conftest import run_script


def test_disabled_mode_does_nothing_cheaply(tmp_path: Path) -> None:
    run = agent.init(project="p", mode="disabled", dir=str(tmp_path), config={"lr": 1})
    start = time.perf_counter()
    for i in range(10000):
        agent.log({"x": i})
    elapsed = time.perf_counter() - start
    agent.save("*.txt")
    agent.define_metric("x", summary="max")
    run.summary["y"] = 1
    assert run.config.lr == 1
    agent.finish()
    assert not (tmp_path / "cairn").exists()
    assert elapsed < 0.5


def test_calls_before_init_warn_and_do_nothing(tmp_path: Path) -> None:
    # In a script of its own: the agent warns once per process, under Python's default filters.
    result = run_script(
        """\
        import agent
        for step in range(3):
            agent.log({"x": step})
        agent.finish()
        print("trained")
        """,
        cwd=tmp_path,
    )
    assert result.stdout == "trained\n"
    # One warning, at the user's first call, and nothing else: not one per step, none from finish().
    first, source = result.stderr.splitlines()
    assert first.endswith("train.py:3: AgentWarning: cairn: log() called before agent.init(); ignored")
    assert source.strip() == 'agent.log({"x": step})'
    assert list(tmp_path.iterdir()) == [tmp_path / "train.py"]  # no run folder, no spool
