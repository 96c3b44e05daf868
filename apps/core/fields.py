"""A JSONField that keeps NaN and ±Infinity.

Neither PostgreSQL's jsonb nor strict JSON can hold non-finite floats, yet they
are real training values. We store each as a tagged object and restore it on
the way out, so the rest of the code sees plain floats.
"""

from __future__ import annotations

import math
from typing import Any

from django.db import models

TAG = "$float"
_NAMES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _name(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def tag_nonfinite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else {TAG: _name(value)}
    if isinstance(value, dict):
        return {k: tag_nonfinite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [tag_nonfinite(v) for v in value]
    return value


def untag_nonfinite(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and TAG in value and value[TAG] in _NAMES:
            return _NAMES[value[TAG]]
        return {k: untag_nonfinite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [untag_nonfinite(v) for v in value]
    return value


class NonFiniteJSONField(models.JSONField):
    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(tag_nonfinite(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        decoded = super().from_db_value(value, expression, connection)
        # Most values hold no non-finite number: skip the walk when the text says so.
        if isinstance(value, str) and TAG not in value:
            return decoded
        return untag_nonfinite(decoded)
