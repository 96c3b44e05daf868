from __future__ import annotations

import time
from pathlib import Path

import agent


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


def test_calls_before_init_warn_and_do_nothing() -> None:
    import warnings

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        agent.log({"x": 1})
        agent.finish()
