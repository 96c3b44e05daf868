"""A sweep's parameters (W&B's `parameters` block): what each one draws from.

Every parameter is one of W&B's distributions. Each has a *base* on which
the search works (a category's index, an integer range, a float range, maybe
on a log scale) and a transform from the base to the value the program gets:
random search draws the base uniformly, Optuna's samplers search it, and the
value is the same function of it either way. So W&B's `normal` is a uniform
quantile pushed through the normal's inverse CDF: random draws are exactly
normal, and a Bayesian sampler sees a bounded space.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

# W&B's distributions, and the keys each takes besides `distribution`.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "constant": ("value",),
    "categorical": ("values", "probabilities"),
    "int_uniform": ("min", "max"),
    "uniform": ("min", "max"),
    "q_uniform": ("min", "max", "q"),
    "log_uniform": ("min", "max"),
    "q_log_uniform": ("min", "max", "q"),
    "log_uniform_values": ("min", "max"),
    "q_log_uniform_values": ("min", "max", "q"),
    "inv_log_uniform": ("min", "max"),
    "inv_log_uniform_values": ("min", "max"),
    "normal": ("mu", "sigma"),
    "q_normal": ("mu", "sigma", "q"),
    "log_normal": ("mu", "sigma"),
    "q_log_normal": ("mu", "sigma", "q"),
    "beta": ("a", "b"),
    "q_beta": ("a", "b", "q"),
}
# Quantiles of the normal and beta bases stay off 0 and 1, where the inverse CDF is infinite.
_EPS = 1e-9


@dataclass(frozen=True)
class Param:
    """One leaf parameter: `path` is its place in the config (nested parameters: several names)."""

    path: tuple[str, ...]
    distribution: str
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return ".".join(self.path)

    # --- the base the search works on -------------------------------------

    @property
    def base(self) -> tuple[Any, ...]:
        """("cat", n) | ("int", lo, hi) | ("float", lo, hi, log) | ("const",)."""
        d, s = self.distribution, self.spec
        if d == "constant":
            return ("const",)
        if d == "categorical":
            return ("cat", len(s["values"]))
        if d == "int_uniform":
            return ("int", int(s["min"]), int(s["max"]))
        if d in ("log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values"):
            return ("float", float(s["min"]), float(s["max"]), True)
        if d in ("uniform", "q_uniform", "log_uniform", "q_log_uniform", "inv_log_uniform"):
            return ("float", float(s["min"]), float(s["max"]), False)
        return ("float", _EPS, 1.0 - _EPS, False)  # normal, log_normal, beta: a quantile

    def draw(self, rng: random.Random) -> Any:
        """A base value drawn uniformly (a categorical by its probabilities)."""
        base = self.base
        if base[0] == "const":
            return None
        if base[0] == "cat":
            weights = self.spec.get("probabilities")
            return (
                rng.choices(range(base[1]), weights=weights)[0]
                if weights
                else rng.randrange(base[1])
            )
        if base[0] == "int":
            return rng.randint(base[1], base[2])
        lo, hi, log = base[1], base[2], base[3]
        if log:
            return math.exp(rng.uniform(math.log(lo), math.log(hi)))
        return rng.uniform(lo, hi)

    def value(self, raw: Any) -> Any:
        """The value the program gets for a base value."""
        d, s = self.distribution, self.spec
        if d == "constant":
            return s["value"]
        if d == "categorical":
            return s["values"][int(raw)]
        if d == "int_uniform":
            return int(raw)
        x = float(raw)
        if d in ("log_uniform", "q_log_uniform"):
            x = math.exp(x)
        elif d == "inv_log_uniform":
            x = math.exp(-x)
        elif d in ("normal", "q_normal"):
            x = NormalDist(float(s.get("mu", 0.0)), float(s.get("sigma", 1.0))).inv_cdf(x)
        elif d in ("log_normal", "q_log_normal"):
            x = math.exp(NormalDist(float(s.get("mu", 0.0)), float(s.get("sigma", 1.0))).inv_cdf(x))
        elif d in ("beta", "q_beta"):
            from scipy.stats import beta  # a dependency of scikit-learn's

            x = float(beta.ppf(x, float(s.get("a", 1.0)), float(s.get("b", 1.0))))
        if d.startswith("q_"):
            q = float(s.get("q", 1))
            x = round(x / q) * q
            # W&B: an integer q gives integers.
            if float(q).is_integer():
                return int(x)
        return x

    # --- grid ---------------------------------------------------------------

    def grid_values(self) -> list[Any] | None:
        """The base values a grid walks through; None when the parameter is continuous."""
        base = self.base
        if base[0] == "const":
            return [None]
        if base[0] == "cat":
            return list(range(base[1]))
        if base[0] == "int":
            return list(range(base[1], base[2] + 1))
        return None

    def grid_size(self) -> int | None:
        base = self.base
        if base[0] == "const":
            return 1
        if base[0] == "cat":
            return int(base[1])
        if base[0] == "int":
            return int(base[2]) - int(base[1]) + 1
        return None


def grid_point(params: list[Param], index: int) -> dict[str, Any]:
    """The grid's point number `index` (the last parameter varies fastest), as base values."""
    raw: dict[str, Any] = {}
    for p in reversed(params):
        size = p.grid_size() or 1
        index, i = divmod(index, size)
        values = p.grid_values() or [None]
        raw[p.name] = values[i]
    return {p.name: raw[p.name] for p in params}


def grid_total(params: list[Param]) -> int:
    total = 1
    for p in params:
        total *= p.grid_size() or 1
    return total


def assemble(params: list[Param], raw: dict[str, Any]) -> dict[str, Any]:
    """The config the program gets: nested parameters as nested dicts."""
    out: dict[str, Any] = {}
    for p in params:
        node = out
        for part in p.path[:-1]:
            node = node.setdefault(part, {})
        node[p.path[-1]] = p.value(raw.get(p.name))
    return out
