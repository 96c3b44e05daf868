"""One rule for a CSV cell, used by every export (runs table, history, leaderboards)."""

from __future__ import annotations

import json
import math
from typing import Any

# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """Text that a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_cell(value: Any) -> str:
    """A value as the text of one cell: numbers as JSON writes them (NaN and
    ±Infinity included), lists of strings joined by ';', other lists and
    objects as JSON, text made formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = ";".join(value)
    elif isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, allow_nan=True)
    else:
        text = str(value)
    return formula_safe(text)
