"""The threshold language of metric rules: `val/loss > 5`, `loss is NaN`, `system/gpu.0.temp >= 85`.

A condition is one key, one comparison and one number, parsed here by a fixed
pattern (never the user's own regex, never `eval`). A key starting `system/`
is a system metric (`system/gpu.0.temp`, as W&B names them); any other key is
a history key. Keys with spaces or operators in them are written in double
quotes: `"my loss" > 1`.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from apps.core.errors import BadInput

MAX_CONDITION = 300
MAX_KEY = 256
SYSTEM_PREFIX = "system/"

OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_KEY = r'(?P<key>"[^"\n]{1,256}"|[^\s"]{1,256}?)'
_COMPARE = re.compile(_KEY + r"\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,3})?)")
_IS = re.compile(_KEY + r"\s+is\s+(?P<what>nan|not\s+finite)", re.IGNORECASE)


@dataclass(frozen=True)
class Condition:
    stream: str  # "history" or "system"
    key: str  # as stored on that stream (no `system/` prefix)
    op: str  # one of OPS, or "nan" (NaN seen) or "nonfinite" (NaN or an infinity seen)
    value: float

    def first_match(self, values: Any) -> int | None:
        """Index of the first value meeting the condition, or None."""
        arr = np.asarray(values, dtype=np.float64)
        if self.op == "nan":
            hits = np.isnan(arr)
        elif self.op == "nonfinite":
            hits = ~np.isfinite(arr)
        else:
            with np.errstate(invalid="ignore"):
                hits = OPS[self.op](arr, self.value)  # NaN compares false
        if not hits.any():
            return None
        return int(np.argmax(hits))

    def text(self) -> str:
        key = SYSTEM_PREFIX + self.key if self.stream == "system" else self.key
        if any(c.isspace() or c in '<>=!"' for c in key):
            key = f'"{key}"'
        if self.op == "nan":
            return f"{key} is NaN"
        if self.op == "nonfinite":
            return f"{key} is not finite"
        return f"{key} {self.op} {self.value:g}"


def condition_parse(text: Any) -> Condition:
    """A condition from its text, or a 400 naming the field `condition`."""
    if not isinstance(text, str) or not text.strip():
        raise BadInput('Must be a condition such as "val/loss > 5" or "loss is NaN".', "condition")
    if len(text) > MAX_CONDITION:
        raise BadInput(f"At most {MAX_CONDITION} characters.", "condition")
    text = text.strip()
    m = _IS.fullmatch(text)
    if m:
        op, value = ("nan" if m["what"].lower() == "nan" else "nonfinite"), 0.0
    else:
        m = _COMPARE.fullmatch(text)
        if not m:
            raise BadInput(
                'Write KEY OP NUMBER (OP one of > >= < <= == !=), or KEY is NaN, or KEY is not finite.', "condition"
            )
        op, value = m["op"], float(m["num"])
        if not math.isfinite(value):
            raise BadInput("The number must be finite.", "condition")
    key = m["key"].strip('"') if m["key"].startswith('"') else m["key"]
    stream = "history"
    if key.startswith(SYSTEM_PREFIX):
        stream, key = "system", key[len(SYSTEM_PREFIX) :]
    if not key or len(key) > MAX_KEY or any(ord(c) < 32 for c in key):
        raise BadInput(f"The key must be 1-{MAX_KEY} printable characters.", "condition")
    return Condition(stream, key, op, value)
