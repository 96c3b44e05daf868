"""W&B's sweep files are read as they are; hostile ones get a 400 naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from apps.sweeps.config import config_parse
from tests.factories import World
from tests.sweeps.conftest import api, create

pytestmark = pytest.mark.django_db

# The example of W&B's docs ("define sweep configuration"), unchanged.
WANDB_YAML = """\
program: train.py
name: sweepdemo
method: bayes
metric:
  goal: minimize
  name: validation_loss
parameters:
  learning_rate:
    min: 0.0001
    max: 0.1
  batch_size:
    values: [16, 32, 64]
  epochs:
    values: [5, 10, 15]
  optimizer:
    values: ["adam", "sgd"]
early_terminate:
  type: hyperband
  min_iter: 3
command:
  - ${env}
  - ${interpreter}
  - ${program}
  - ${args}
"""


def test_a_wandb_sweep_file_is_read_unchanged(world: World) -> None:
    r = world.member.client().post(api(), {"config_yaml": WANDB_YAML}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["name"] == "sweepdemo" and body["method"] == "bayes" and body["state"] == "pending"
    assert body["metric"] == {"goal": "minimize", "name": "validation_loss"}
    assert body["config"]["command"] == ["${env}", "${interpreter}", "${program}", "${args}"]
    assert len(body["id"]) == 8 and body["path"] == f"acme/secret/{body['id']}"


def test_w_and_b_inference_of_distributions() -> None:
    cfg = config_parse(
        {
            "method": "random",
            "parameters": {
                "a": {"min": 1, "max": 5},
                "b": {"min": 0.0, "max": 1.0},
                "c": {"values": [1, 2]},
                "d": {"value": "x"},
                "e": {"mu": 0, "sigma": 2},
                "f": {
                    "parameters": {
                        "g": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1}
                    }
                },
            },
        }
    )
    kinds = {p.name: p.distribution for p in cfg.params}
    assert kinds == {
        "a": "int_uniform",
        "b": "uniform",
        "c": "categorical",
        "d": "constant",
        "e": "normal",
        "f.g": "log_uniform_values",
    }


BAD: list[tuple[Any, str]] = [
    ("not a dict", "config"),
    ({"method": "magic", "parameters": {"a": {"value": 1}}}, "method"),
    ({"method": "bayes", "parameters": {"a": {"min": 0, "max": 1}}}, "metric"),
    ({"method": "grid", "parameters": {"a": {"min": 0.0, "max": 1.0}}}, "parameters.a"),
    (
        {"method": "grid", "parameters": {f"p{i}": {"values": list(range(20))} for i in range(6)}},
        "parameters",
    ),
    (
        {"method": "random", "parameters": {"a": {"distribution": "weird", "min": 0, "max": 1}}},
        "parameters.a.distribution",
    ),
    ({"method": "random", "parameters": {"a": {"min": 2, "max": 1}}}, "parameters.a.min"),
    (
        {
            "method": "random",
            "parameters": {"a": {"distribution": "log_uniform_values", "min": 0, "max": 1}},
        },
        "parameters.a.min",
    ),
    ({"method": "random", "parameters": {"a": {"values": []}}}, "parameters.a.values"),
    (
        {"method": "random", "parameters": {"a": {"min": 0, "max": 1, "color": 3}}},
        "parameters.a.color",
    ),
    ({"method": "random", "parameters": {}}, "parameters"),
    ({"method": "random", "parameters": {"a": {"value": 1}}, "run_cap": 0}, "run_cap"),
    ({"method": "random", "parameters": {"a": {"value": 1}}, "run_cap": True}, "run_cap"),
    (
        {
            "method": "random",
            "parameters": {"a": {"value": 1}},
            "early_terminate": {"type": "hyperband"},
        },
        "early_terminate",
    ),
    ({"method": "random", "parameters": {"a": {"value": 1}}, "command": "python x.py"}, "command"),
    ({"method": "random", "parameters": {"a": {"value": 1}}, "surprise": 1}, "surprise"),
    ({"method": "random", "parameters": {f"p{i}": {"value": i} for i in range(101)}}, "parameters"),
    (
        {"method": "random", "parameters": {"a": {"values": list(range(1001))}}},
        "parameters.a.values",
    ),
]


@pytest.mark.parametrize(("config", "field"), BAD)
def test_a_bad_config_is_a_400_naming_the_key(world: World, config: Any, field: str) -> None:
    r = create(world.member, config)
    assert r.status_code == 400, r.content
    assert r.json()["field"] == field, r.json()


def test_deep_nesting_is_refused(world: World) -> None:
    spec: dict[str, Any] = {"value": 1}
    for _ in range(12):
        spec = {"parameters": {"x": spec}}
    r = create(world.member, {"method": "random", "parameters": {"top": spec}})
    assert r.status_code == 400 and "nest" in r.json()["error"].lower()


def test_a_yaml_bomb_is_refused(world: World) -> None:
    bomb = (
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi")
        )
        + "method: random\nparameters: {a: {values: *i}}\n"
    )
    r = world.member.client().post(api(), {"config_yaml": bomb}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "config"


@pytest.mark.parametrize(
    "text", ["{{{", "- a\n- b\n", "x" * (65 * 1024), "a: !!python/object:os.system ls\n"]
)
def test_bad_yaml_is_a_400(world: World, text: str) -> None:
    r = world.member.client().post(api(), {"config_yaml": text}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "config_yaml"
