"""How the benchmark pages show a value: the leaderboard's cells, an entry's scores."""

from __future__ import annotations

import json
from typing import Any


def cell_text(value: Any) -> str:
    """A value as the pages show it: a float to six significant digits (not 0.8234567890123456)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)
