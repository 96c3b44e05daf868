"""A sweep's configuration: W&B's sweep file, read as it is, and checked
before any work (every limit here is a 400 that names the key to blame).

The keys and their meanings are W&B's (docs/sweeps.md lists them):
`method`, `metric` {name, goal, target}, `parameters` (nested with their own
`parameters`), `early_terminate` {type: hyperband, min_iter | max_iter, eta, s},
`run_cap`, `program`, `command`, `name`, `description`, and the `entity` and
`project` the W&B CLI reads. A YAML file is parsed here, on the server, so the
agent needs no YAML library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from apps.core.errors import BadInput
from apps.sweeps.space import DISTRIBUTIONS, Param, grid_total

METHODS = ("grid", "random", "bayes")
GOALS = ("minimize", "maximize")
MAX_YAML_BYTES = 64 * 1024
MAX_PARAMS = 100
MAX_DEPTH = 8
MAX_VALUES = 1000
MAX_NODES = 20_000
MAX_GRID = 1_000_000
MAX_RUN_CAP = 1_000_000
MAX_NAME = 128
MAX_COMMAND = 100
MACROS = (
    "${env}",
    "${interpreter}",
    "${program}",
    "${args}",
    "${args_no_hyphens}",
    "${args_json}",
    "${args_json_file}",
)
_TOP_KEYS = {
    "method",
    "metric",
    "parameters",
    "early_terminate",
    "run_cap",
    "program",
    "command",
    "name",
    "description",
    "entity",
    "project",
    "controller",
    "job",
    "image_uri",
    "imageuri",
}
_PARAM_KEYS = {
    "distribution",
    "value",
    "values",
    "probabilities",
    "min",
    "max",
    "mu",
    "sigma",
    "q",
    "a",
    "b",
    "parameters",
}


@dataclass(frozen=True)
class SweepConfig:
    raw: dict[str, Any]
    method: str
    metric_name: str
    metric_goal: str
    metric_target: float | None
    params: list[Param]
    run_cap: int | None
    hyperband: dict[str, Any] | None

    def better(self, a: float, b: float) -> bool:
        """Whether metric value `a` is better than `b`."""
        return a > b if self.metric_goal == "maximize" else a < b


def yaml_load(text: Any) -> dict[str, Any]:
    """A sweep file's text (YAML, so JSON too), refused past the limits before parsing."""
    if not isinstance(text, str):
        raise BadInput("Must be a string: the sweep file's text.", "config_yaml")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise BadInput(f"A sweep file is at most {MAX_YAML_BYTES} bytes.", "config_yaml")
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInput(f"Not valid YAML: {str(exc)[:300]}", "config_yaml") from None
    except (RecursionError, ValueError, OverflowError):
        raise BadInput("Not a sweep file this server can read.", "config_yaml") from None
    if not isinstance(data, dict):
        raise BadInput("A sweep file holds a mapping (method:, parameters: ...).", "config_yaml")
    return data


def _count_nodes(value: Any, field: str) -> None:
    """Refuse a value with too many nodes (YAML aliases can make a small file enormous)."""
    stack = [(value, 0)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise BadInput(f"More than {MAX_NODES} values in all.", field)
        if depth > 4 * MAX_DEPTH:
            raise BadInput("Nested too deep.", field)
        if isinstance(node, dict):
            for k, v in node.items():
                if not isinstance(k, str):
                    raise BadInput("Keys must be strings.", field)
                stack.append((v, depth + 1))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif node is None or isinstance(node, (bool, int, str)):
            if isinstance(node, int) and not isinstance(node, bool) and abs(node) > 2**63:
                raise BadInput("An integer out of range.", field)
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise BadInput("Numbers must be finite.", field)
        else:
            raise BadInput(f"Only JSON values (not {type(node).__name__}).", field)


def _number(spec: dict[str, Any], key: str, field: str, default: float | None = None) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInput(f"`{key}` must be a number.", f"{field}.{key}")
    return value


def _infer(spec: dict[str, Any]) -> str:
    """W&B's rules for a parameter without `distribution`."""
    if "value" in spec:
        return "constant"
    if "values" in spec:
        return "categorical"
    if "mu" in spec or "sigma" in spec:
        return "normal"
    lo, hi = spec.get("min"), spec.get("max")
    if (
        isinstance(lo, int)
        and isinstance(hi, int)
        and not isinstance(lo, bool)
        and not isinstance(hi, bool)
    ):
        return "int_uniform"
    return "uniform"


def _leaf(path: tuple[str, ...], spec: dict[str, Any], field: str) -> Param:
    d = spec.get("distribution")
    if d is None:
        d = _infer(spec)
    if not isinstance(d, str) or d not in DISTRIBUTIONS:
        raise BadInput(
            f"Unknown distribution; use one of {', '.join(DISTRIBUTIONS)}.", f"{field}.distribution"
        )
    allowed = set(DISTRIBUTIONS[d]) | {"distribution"}
    extra = sorted(set(spec) - allowed)
    if extra:
        raise BadInput(f"`{extra[0]}` does not go with distribution {d}.", f"{field}.{extra[0]}")
    if d == "constant":
        if "value" not in spec:
            raise BadInput("A constant needs `value`.", f"{field}.value")
    elif d == "categorical":
        values = spec.get("values")
        if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
            raise BadInput(f"`values` is a list of 1 to {MAX_VALUES} values.", f"{field}.values")
        probs = spec.get("probabilities")
        if probs is not None and (
            not isinstance(probs, list)
            or len(probs) != len(values)
            or any(
                isinstance(p, bool) or not isinstance(p, (int, float)) or p < 0 for p in probs
            )
            or not math.isclose(sum(probs), 1.0, abs_tol=1e-6)
        ):
            raise BadInput(
                "`probabilities`: one non-negative number per value, summing to 1.",
                f"{field}.probabilities",
            )
    elif d in ("normal", "q_normal", "log_normal", "q_log_normal"):
        sigma = _number(spec, "sigma", field, 1.0)
        _number(spec, "mu", field, 0.0)
        if sigma <= 0:
            raise BadInput("`sigma` must be positive.", f"{field}.sigma")
    elif d in ("beta", "q_beta"):
        if _number(spec, "a", field, 1.0) <= 0 or _number(spec, "b", field, 1.0) <= 0:
            raise BadInput("`a` and `b` must be positive.", f"{field}.a")
    else:
        if "min" not in spec or "max" not in spec:
            raise BadInput(f"Distribution {d} needs `min` and `max`.", field)
        lo, hi = _number(spec, "min", field), _number(spec, "max", field)
        if not lo <= hi:
            raise BadInput("`min` must not be above `max`.", f"{field}.min")
        if d == "int_uniform":
            if lo != int(lo) or hi != int(hi):
                raise BadInput("int_uniform takes integer `min` and `max`.", f"{field}.min")
            if hi - lo > 2**62:
                raise BadInput("The range is too wide.", f"{field}.max")
        if d.endswith("_values") and lo <= 0:
            raise BadInput(
                f"{d} takes positive `min` and `max` (the values themselves).", f"{field}.min"
            )
        if d in ("log_uniform", "q_log_uniform", "inv_log_uniform") and max(abs(lo), abs(hi)) > 700:
            raise BadInput(
                f"{d} takes the natural logarithms of the bounds; these overflow.", f"{field}.max"
            )
    if d.startswith("q_") and _number(spec, "q", field, 1.0) <= 0:
        raise BadInput("`q` must be positive.", f"{field}.q")
    return Param(path=path, distribution=d, spec=dict(spec))


def _params(block: Any, path: tuple[str, ...], field: str, out: list[Param]) -> None:
    if not isinstance(block, dict) or not block:
        raise BadInput("`parameters` maps each name to its values or distribution.", field)
    if len(path) >= MAX_DEPTH:
        raise BadInput(f"Parameters nest at most {MAX_DEPTH} levels deep.", field)
    for name, spec in block.items():
        where = f"{field}.{name}"
        if not name or len(name) > MAX_NAME or "." in name:
            raise BadInput(f"A parameter's name is 1 to {MAX_NAME} characters, without '.'.", where)
        if not isinstance(spec, dict):
            raise BadInput(
                "Each parameter is a mapping (value:, values:, distribution: ...).", where
            )
        unknown = sorted(set(spec) - _PARAM_KEYS)
        if unknown:
            raise BadInput(f"Unknown key `{unknown[0]}`.", f"{where}.{unknown[0]}")
        if "parameters" in spec:
            if set(spec) != {"parameters"}:
                raise BadInput("A parameter with nested `parameters` takes nothing else.", where)
            _params(spec["parameters"], (*path, name), f"{where}.parameters", out)
        else:
            out.append(_leaf((*path, name), spec, where))
        if len(out) > MAX_PARAMS:
            raise BadInput(f"At most {MAX_PARAMS} parameters.", "parameters")


def _hyperband(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") != "hyperband":
        raise BadInput(
            "early_terminate takes {type: hyperband, min_iter or max_iter, eta, s}.",
            "early_terminate",
        )
    out: dict[str, Any] = {"type": "hyperband"}
    for key in ("min_iter", "max_iter", "s"):
        v = value.get(key)
        if v is not None:
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 1_000_000:
                raise BadInput("An integer from 1 to 1,000,000.", f"early_terminate.{key}")
            out[key] = v
    eta = value.get("eta", 3)
    if isinstance(eta, bool) or not isinstance(eta, (int, float)) or not 1.1 <= eta <= 100:
        raise BadInput("`eta` is a number from 1.1 to 100.", "early_terminate.eta")
    out["eta"] = eta
    if "min_iter" not in out and "max_iter" not in out:
        raise BadInput(
            "Give min_iter (brackets from there up) or max_iter and s.", "early_terminate"
        )
    if "max_iter" in out and "min_iter" not in out and "s" not in out:
        raise BadInput("max_iter needs s (the number of brackets).", "early_terminate.s")
    unknown = sorted(set(value) - {"type", "min_iter", "max_iter", "eta", "s", "strict"})
    if unknown:
        raise BadInput(f"Unknown key `{unknown[0]}`.", f"early_terminate.{unknown[0]}")
    return out


def _command(value: Any) -> None:
    if value is None:
        return
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= MAX_COMMAND
        or not all(isinstance(v, str) for v in value)
    ):
        raise BadInput(f"`command` is a list of 1 to {MAX_COMMAND} strings.", "command")
    if any(len(v) > 4096 for v in value):
        raise BadInput("A command's part is at most 4096 characters.", "command")


def config_parse(data: Any) -> SweepConfig:
    """A sweep's configuration checked, or a 400 naming the key."""
    if not isinstance(data, dict):
        raise BadInput("Must be an object: the sweep's configuration.", "config")
    _count_nodes(data, "config")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise BadInput(f"Unknown key `{unknown[0]}` in a sweep's configuration.", unknown[0])
    method = data.get("method")
    if method not in METHODS:
        raise BadInput(f"`method` is one of {', '.join(METHODS)}.", "method")
    metric = data.get("metric")
    name, goal, target = "", "minimize", None
    if metric is not None:
        if (
            not isinstance(metric, dict)
            or not isinstance(metric.get("name"), str)
            or not metric["name"]
        ):
            raise BadInput(
                "`metric` is {name, goal, target}, with the name logged by the runs.", "metric.name"
            )
        name = metric["name"]
        if len(name) > 256:
            raise BadInput("At most 256 characters.", "metric.name")
        goal = metric.get("goal", "minimize")
        if goal not in GOALS:
            raise BadInput("`goal` is minimize or maximize.", "metric.goal")
        if metric.get("target") is not None:
            target = _number(metric, "target", "metric")
        extra = sorted(set(metric) - {"name", "goal", "target", "impute", "imputewhilerunning"})
        if extra:
            raise BadInput(f"Unknown key `{extra[0]}`.", f"metric.{extra[0]}")
    if method == "bayes" and not name:
        raise BadInput("A bayes sweep needs `metric` (what to minimize or maximize).", "metric")
    hyperband = _hyperband(data.get("early_terminate"))
    if hyperband is not None and not name:
        raise BadInput("early_terminate needs `metric`: runs are stopped on it.", "metric")
    params: list[Param] = []
    _params(data.get("parameters"), (), "parameters", params)
    if method == "grid":
        continuous = [p.name for p in params if p.grid_size() is None]
        if continuous:
            raise BadInput(
                "A grid needs values, value or int_uniform; this one is continuous.",
                f"parameters.{continuous[0]}",
            )
        if grid_total(params) > MAX_GRID:
            raise BadInput(f"The grid has more than {MAX_GRID:,} points.", "parameters")
    run_cap = data.get("run_cap")
    if run_cap is not None and (
        isinstance(run_cap, bool) or not isinstance(run_cap, int) or not 1 <= run_cap <= MAX_RUN_CAP
    ):
        raise BadInput(f"`run_cap` is an integer from 1 to {MAX_RUN_CAP:,}.", "run_cap")
    for key in ("program", "name", "description", "entity", "project"):
        if data.get(key) is not None and (not isinstance(data[key], str) or len(data[key]) > 4096):
            raise BadInput("Must be a string of at most 4096 characters.", key)
    _command(data.get("command"))
    return SweepConfig(
        raw=data,
        method=method,
        metric_name=name,
        metric_goal=goal,
        metric_target=target,
        params=params,
        run_cap=run_cap,
        hyperband=hyperband,
    )
