"""W&B's ``init`` arguments that need no server: config files and keys, reinit and resume words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agent
from agent import UsageError


def test_config_may_be_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"lr": 0.1, "layers": [64, 32]}))
    with agent.init(project="p", mode="disabled", config=str(path)) as run:
        assert dict(run.config) == {"lr": 0.1, "layers": [64, 32]}


def test_config_may_be_a_w_and_b_config_defaults_yaml(tmp_path: Path) -> None:
    path = tmp_path / "config-defaults.yaml"
    path.write_text(
        "wandb_version: 1\n"
        "lr:\n  desc: the learning rate\n  value: 0.001\n"
        "epochs:\n  value: 10\n"
        "plain: 3\n"
    )
    try:
        import yaml  # noqa: F401
    except ImportError:
        with pytest.raises(UsageError, match="PyYAML"):
            agent.init(project="p", mode="disabled", config=str(path))
        return
    with agent.init(project="p", mode="disabled", config=path) as run:
        assert dict(run.config) == {"lr": 0.001, "epochs": 10, "plain": 3}


def test_a_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        agent.init(project="p", mode="disabled", config=str(tmp_path / "nope.yaml"))


def test_config_include_keys_keeps_only_those() -> None:
    with agent.init(project="p", mode="disabled", config={"a": 1, "b": 2}, config_include_keys=["b"]) as run:
        assert dict(run.config) == {"b": 2}
    with pytest.raises(UsageError):
        agent.init(project="p", mode="disabled", config={}, config_include_keys=["a"], config_exclude_keys=["b"])


def test_entity_is_the_org_and_a_different_org_is_refused() -> None:
    with agent.init(project="p", mode="disabled", entity="acme") as run:
        assert run.entity == "acme" and run.path == "acme/disabled/disabled"
    with pytest.raises(UsageError, match="different"):
        agent.init(project="p", mode="disabled", entity="acme", org="other")


@pytest.mark.parametrize("bad", [{"reinit": "sometimes"}, {"resume": "maybe"}])
def test_words_w_and_b_does_not_have_are_refused(bad: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        agent.init(project="p", mode="disabled", **bad)  # type: ignore[arg-type]


def test_force_without_a_key_refuses_to_go_offline() -> None:
    with pytest.raises(UsageError, match="force"):
        agent.init(project="p", mode="online", force=True)
