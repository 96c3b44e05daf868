"""The yardstick itself: it replays W&B's step rules, and it fails when the server differs."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.compat.conftest import CompatRun, same
from tests.compat.test_scripts import check_run, expected_runs
from tests.serverproc import ServerProcess


def _log(step_before: int, scalars: dict[str, Any], step: Any = None, commit: Any = None) -> dict[str, Any]:
    return {
        "ev": "log", "run": "r1", "project": "p", "org": None, "object": 1, "pid": 7,
        "mode": "online", "before": step_before, "step": step, "commit": commit,
        "scalars": scalars, "media": {},
    }


def test_it_replays_commit_false_and_explicit_steps_as_w_and_b_does() -> None:
    records = [
        _log(0, {"loss": 1.0}, commit=False),
        _log(0, {"acc": 0.5}),  # joins the pending row, then ends step 0
        _log(1, {"loss": 0.5}, step=5),  # moves to step 5
        _log(6, {"loss": 0.4}, step=3),  # below: dropped, as W&B drops it
        _log(6, {"lr": 0.1}, step=7, commit=False),  # pending at 7, written when the run ends
    ]
    run = expected_runs(records)["r1"]
    assert run.rows == {0: {"loss": 1.0, "acc": 0.5}, 5: {"loss": 0.5}, 7: {"lr": 0.1}}


def test_it_takes_nan_as_nan_and_nothing_else_as_equal() -> None:
    assert same({"float": "nan"}, float("nan"))
    assert same(2, 2.0)
    assert not same(0.1 + 0.2, 0.3)  # float equality is exact
    assert not same(True, 1)


@pytest.mark.server
def test_it_reports_a_value_the_server_does_not_hold(
    run_compat_script: Callable[..., CompatRun], cairn_server: ServerProcess
) -> None:
    result = run_compat_script(
        """
        import agent as wandb

        run = wandb.init(config={"lr": 0.1})
        for i in range(3):
            run.log({"loss": 1.0 / (i + 1)})
        run.finish()
        """
    )
    run = next(iter(expected_runs(result.records).values()))
    assert check_run(result.reader, cairn_server.org, run) == []  # as logged: no difference

    run.rows[1]["loss"] = 0.25  # what a lost or altered value looks like
    run.config = {"lr": 0.2}
    problems = check_run(result.reader, cairn_server.org, run)
    assert "history step 1: 'loss' is 0.5, logged 0.25" in problems
    assert "config: 'lr' is 0.1, set to 0.2" in problems
