"""Summaries of defined metrics (min, max, mean, last), shared by both processes."""

from __future__ import annotations

import fnmatch
import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional

SUMMARIES = ("min", "max", "mean", "last")


class MetricDefs:
    """What ``define_metric`` declared, and the running aggregates it asks for.

    >>> m = MetricDefs(); m.define("loss", "min")
    >>> m.update({"loss": 3.0}); m.update({"loss": 1.0}); m.values()
    {'loss': 1.0}
    """

    def __init__(self) -> None:
        self.defs: dict[str, tuple[str, Optional[str]]] = {}
        self._agg: dict[str, Any] = {}
        self._match: dict[str, Optional[str]] = {}

    def define(
        self, name: str, summary: Optional[str] = None, step_metric: Optional[str] = None
    ) -> None:
        self.defs[name] = (summary or "last", step_metric)
        self._match.clear()

    @property
    def active(self) -> bool:
        """Whether any metric needs more than its last value."""
        return any(how != "last" for how, _ in self.defs.values())

    def _rule(self, key: str) -> Optional[str]:
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
        self._match[key] = rule
        return rule

    def update(self, row: Mapping[str, Any]) -> None:
        for key, value in row.items():
            if type(value) not in (int, float) or not math.isfinite(value):
                continue
            how = self._rule(key)
            if how is None or how == "last":
                continue
            old = self._agg.get(key)
            if how == "min":
                self._agg[key] = value if old is None else min(old, value)
            elif how == "max":
                self._agg[key] = value if old is None else max(old, value)
            else:
                total, count = old if old is not None else (0.0, 0)
                self._agg[key] = (total + value, count + 1)

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
