from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

import agent
from agent import _spool
from tests.agent.conftest import run_dirs, spool_records


@dataclasses.dataclass
class Hyper:
    lr: float = 0.1
    layers: int = 4


def _offline(tmp_path: Path, **kwargs: object) -> agent.Run:
    return agent.init(
        project="p", mode="offline", dir=str(tmp_path), settings={"quiet": True}, **kwargs
    )  # type: ignore[arg-type]


def test_config_has_attribute_and_item_access(tmp_path: Path) -> None:
    run = _offline(tmp_path, config={"lr": 0.1})
    run.config.batch = 32
    run.config["opt"] = "adam"
    assert run.config.lr == 0.1 and run.config["batch"] == 32 and agent.config.opt == "adam"
    with pytest.raises(AttributeError):
        run.config.missing  # noqa: B018


def test_config_takes_namespaces_and_dataclasses(tmp_path: Path) -> None:
    run = _offline(tmp_path, config=argparse.Namespace(lr=0.01, epochs=3))
    run.config.update(Hyper())
    assert dict(run.config) == {"lr": 0.1, "epochs": 3, "layers": 4}


def test_config_changes_after_init_are_recorded(tmp_path: Path) -> None:
    run = _offline(tmp_path, config={"lr": 0.1})
    run.config.lr = 0.2
    del run.config.lr
    run.config.update({"a": 1}, b=2)
    run.finish(quiet=True)
    changes = spool_records(run_dirs(tmp_path)[0], kind=_spool.CONFIG)
    assert changes == [{"lr": 0.2}, {"lr": None}, {"a": 1, "b": 2}]


def test_summary_holds_each_metrics_last_value_by_default(tmp_path: Path) -> None:
    run = _offline(tmp_path)
    run.log({"loss": 3.0})
    run.log({"loss": 1.0, "acc": 0.5})
    run.log({"loss": 2.0})
    assert dict(run.summary) == {"loss": 2.0, "acc": 0.5}


def test_define_metric_chooses_the_summary(tmp_path: Path) -> None:
    run = _offline(tmp_path)
    agent.define_metric("loss", summary="min")
    agent.define_metric("acc", summary="max")
    agent.define_metric("lr", summary="mean")
    for loss, acc, lr in ((3.0, 0.1, 1.0), (1.0, 0.9, 2.0), (2.0, 0.5, 3.0)):
        run.log({"loss": loss, "acc": acc, "lr": lr})
    assert run.summary["loss"] == 1.0 and run.summary["acc"] == 0.9 and run.summary["lr"] == 2.0


def test_a_key_the_user_sets_wins(tmp_path: Path) -> None:
    run = _offline(tmp_path)
    run.log({"loss": 3.0})
    run.summary["loss"] = 0.0
    run.summary["best_epoch"] = 7
    run.log({"loss": 1.0})
    assert run.summary["loss"] == 0.0 and run.summary["best_epoch"] == 7


def test_steps_count_up_and_commit_false_accumulates(tmp_path: Path) -> None:
    run = _offline(tmp_path)
    run.log({"a": 1})
    run.log({"b": 2}, commit=False)
    run.log({"c": 3})
    run.log({"d": 4}, step=10)
    run.log({"e": 5})
    run.finish(quiet=True)
    rows = spool_records(run_dirs(tmp_path)[0], kind=_spool.HISTORY)
    assert [(r[0], r[2]) for r in rows] == [
        (0, {"a": 1}),
        (1, {"b": 2, "c": 3}),
        (10, {"d": 4}),
        (11, {"e": 5}),
    ]


def test_the_context_manager_marks_failure(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), _offline(tmp_path):
        raise RuntimeError("boom")
    ends = spool_records(run_dirs(tmp_path)[0], kind=_spool.END)
    assert ends == [(1, "failed")]
