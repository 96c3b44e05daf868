"""Summaries of defined metrics (min, max, mean, first, last), shared by both processes."""

from __future__ import annotations

import fnmatch
import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional

SUMMARIES = ("min", "max", "mean", "first", "last")
# W&B's other words: "best" is min or max by the goal, "copy" the last value;
# "none" (W&B: no summary at all) keeps the last value here.
_WORDS = {"copy": "last", "none": "last"}
GOALS = ("minimize", "maximize")


def parse_summary(summary: Optional[str], goal: Optional[str] = None) -> Optional[str]:
    """W&B's ``summary`` (``"min"``, ``"min,max"``, ``"best"``...) as Cairn's, or ValueError.

    >>> parse_summary("best", goal="maximize"), parse_summary("min, max,min")
    ('max', 'min,max')
    """
    if goal is not None and goal not in GOALS:
        raise ValueError(f"goal must be minimize or maximize, not {goal!r}")
    if summary is None:
        return None
    out: list[str] = []
    for word in str(summary).split(","):
        word = word.strip().lower()
        if word == "best":
            word = "max" if goal == "maximize" else "min"
        word = _WORDS.get(word, word)
        if word not in SUMMARIES:
            raise ValueError(
                f"summary must be one or more (comma-separated) of {', '.join(SUMMARIES)},"
                f" best, copy or none, not {summary!r}"
            )
        if word not in out:
            out.append(word)
    return ",".join(out) or None


def _targets(key: str, how: str) -> list[tuple[str, str]]:
    """Where each aggregate of ``key`` goes: the first one at ``key`` itself (unless it
    is the last value, which is there anyway), and with several, each at ``key/<how>``."""
    hows = how.split(",")
    out = [(key, hows[0])] if hows[0] != "last" else []
    if len(hows) > 1:
        out += [(f"{key}/{h}", h) for h in hows]
    return out


class MetricDefs:
    """What ``define_metric`` declared, and the running aggregates it asks for.

    >>> m = MetricDefs(); m.define("loss", "min")
    >>> m.update({"loss": 3.0}); m.update({"loss": 1.0}); m.values()
    {'loss': 1.0}
    """

    def __init__(self) -> None:
        self.defs: dict[str, tuple[str, Optional[str]]] = {}
        self._agg: dict[str, Any] = {}
        self._match: dict[str, list[tuple[str, str]]] = {}

    def define(
        self, name: str, summary: Optional[str] = None, step_metric: Optional[str] = None
    ) -> None:
        self.defs[name] = (summary or "last", step_metric)
        self._match.clear()

    @property
    def active(self) -> bool:
        """Whether any metric needs more than its last value."""
        return any(how != "last" for how, _ in self.defs.values())

    def _rule(self, key: str) -> list[tuple[str, str]]:
        if key in self._match:
            return self._match[key]
        rule = None
        if key in self.defs:
            rule = self.defs[key][0]
        else:
            for pattern, (how, _) in self.defs.items():
                if "*" in pattern and fnmatch.fnmatchcase(key, pattern):
                    rule = how
                    break
        targets = _targets(key, rule) if rule else []
        self._match[key] = targets
        return targets

    def update(self, row: Mapping[str, Any]) -> None:
        for key, value in row.items():
            if type(value) not in (int, float) or not math.isfinite(value):
                continue
            for target, how in self._rule(key):
                old = self._agg.get(target)
                if how == "min":
                    self._agg[target] = value if old is None else min(old, value)
                elif how == "max":
                    self._agg[target] = value if old is None else max(old, value)
                elif how == "first":
                    self._agg[target] = value if old is None else old
                elif how == "last":
                    self._agg[target] = value
                else:
                    total, count = old if old is not None else (0.0, 0)
                    self._agg[target] = (total + value, count + 1)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self._agg.items():
            out[key] = value[0] / value[1] if isinstance(value, tuple) else value
        return out

    def state(self) -> dict[str, Any]:
        return {
            "defs": {k: list(v) for k, v in self.defs.items()},
            "agg": {k: list(v) if isinstance(v, tuple) else v for k, v in self._agg.items()},
        }

    def load(self, state: Mapping[str, Any]) -> None:
        for name, (how, step_metric) in state.get("defs", {}).items():
            self.define(name, how, step_metric)
        for key, value in state.get("agg", {}).items():
            self._agg[key] = tuple(value) if isinstance(value, list) else value
