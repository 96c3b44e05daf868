"""Steps only go forward: a row logged below the last step is refused with a warning (as W&B does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import agent
from agent import _spool
from tests.agent.conftest import run_dirs, run_script, spool_records


def _history(base: Path) -> list[tuple[int, dict[str, Any]]]:
    return [(step, row) for step, _, row in spool_records(run_dirs(base)[0], kind=_spool.HISTORY)]


def _offline(tmp_path: Path, **settings: Any) -> agent.Run:
    return agent.init(
        project="p", mode="offline", dir=str(tmp_path), settings={"quiet": True, **settings}
    )


def test_a_step_below_the_last_one_is_refused_with_one_warning(tmp_path: Path) -> None:
    run = _offline(tmp_path)
    run.log({"x": 5}, step=5)
    run.log({"x": 9}, step=9)
    with pytest.warns(agent.AgentWarning) as caught:
        run.log({"x": 99}, step=5)
        run.log({"x": 98}, step=3)  # refused too, without a second warning
    assert [str(w.message) for w in caught] == [
        "cairn: step 5 is below step 9, the last one logged; steps must increase, so this row"
        " was not logged (said once: later rows like it are not logged either)"
    ]
    run.log({"x": 10})
    run.finish(quiet=True)
    assert _history(tmp_path) == [(5, {"x": 5}), (9, {"x": 9}), (10, {"x": 10})]


def test_the_last_step_may_be_logged_again_and_commit_false_still_builds_a_row(
    tmp_path: Path,
) -> None:
    run = _offline(tmp_path)
    run.log({"train/loss": 0.5}, step=100)
    run.log({"val/acc": 0.9}, step=100)  # W&B adds to the row of that step
    run.log({"a": 1}, step=101, commit=False)
    run.log({"b": 2}, step=101)
    run.log({"c": 3}, commit=False)
    run.log({"d": 4})
    assert run.step == 103
    run.finish(quiet=True)
    assert _history(tmp_path) == [
        (100, {"train/loss": 0.5}),
        (100, {"val/acc": 0.9}),
        (101, {"a": 1, "b": 2}),
        (102, {"c": 3, "d": 4}),
    ]


def test_a_step_below_a_pending_row_is_refused(tmp_path: Path) -> None:
    run = _offline(tmp_path)
    run.log({"a": 1}, step=7, commit=False)
    with pytest.warns(agent.AgentWarning, match="step 6 is below step 7"):
        run.log({"b": 2}, step=6)
    run.finish(quiet=True)
    assert _history(tmp_path) == [(7, {"a": 1})]


def test_a_step_past_what_the_server_stores_is_ignored(tmp_path: Path) -> None:
    run = _offline(tmp_path)
    with pytest.warns(agent.AgentWarning, match=r"at most 2\*\*63 - 1"):
        run.log({"a": 1}, step=2**63)
    run.finish(quiet=True)
    assert _history(tmp_path) == [(0, {"a": 1})]


def test_strict_mode_raises_on_a_step_below_the_last_one(tmp_path: Path) -> None:
    run = _offline(tmp_path, strict=True)
    run.log({"x": 1}, step=4)
    with pytest.raises(agent.UsageError, match="step 2 is below step 4"):
        run.log({"x": 2}, step=2)
    run.finish(quiet=True)


@pytest.mark.server
def test_a_step_logged_again_below_reads_back_as_what_was_logged(
    cairn_server: Any, tmp_path: Path
) -> None:
    result = run_script(
        """
        import agent
        with agent.init(project="steps", id="steps-1") as run:
            run.log({"x": 5}, step=5)
            run.log({"x": 9}, step=9)
            run.log({"x": 99}, step=5)
        """,
        tmp_path,
        env={
            "CAIRN_BASE_URL": cairn_server.url,
            "CAIRN_API_KEY": cairn_server.api_key,
            "CAIRN_ORG": cairn_server.org,
        },
    )
    assert "step 5 is below step 9, the last one logged" in result.stderr
    api = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key)
    run = api.run(f"{cairn_server.org}/steps/steps-1")
    assert [(r["_step"], r["x"]) for r in run.history(keys=["x"])] == [(5, 5), (9, 9)]
    assert [(r["_step"], r["x"]) for r in run.scan_history(keys=["x"])] == [(5, 5), (9, 9)]
