"""How the benchmark pages show a value: the leaderboard's cells, an entry's scores."""

from __future__ import annotations

import json
import math
from typing import Any


def cell_text(value: Any, precision: int | None = None) -> str:
    """A value as the pages show it: a number to the benchmark's `precision`
    (decimal places), a float else to six significant digits (not 0.8234567890123456)."""
    if value is None:
        return ""
    if precision is not None and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f"{value:.{precision}f}"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)
