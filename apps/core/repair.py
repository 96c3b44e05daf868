"""Repairs, run by data migrations, of stored values that older versions let in.

Before JSON bodies were parsed strictly (apps/core/rendering.py), a lone UTF-16
surrogate such as "\\ud800" could reach a JSON column on SQLite, which stores it
as an escape. Every later read of the row then failed (a surrogate has no
UTF-8 form), breaking the run list and the run for everyone. PostgreSQL never
stored one (jsonb refuses them), nor did any text column (the driver cannot
encode them), so only SQLite's JSON columns need this.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast

_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogates_replace(value: Any) -> Any:
    """The value with every lone surrogate, in keys and strings, replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {surrogates_replace(k): surrogates_replace(v) for k, v in value.items()}
    if isinstance(value, list):
        return [surrogates_replace(v) for v in value]
    return value


def lone_surrogates_repair(model: Any, fields: Sequence[str], *, vendor: str) -> int:
    """Rewrite the rows of `model` whose JSON `fields` hold a lone surrogate;
    the number of rows rewritten. Idempotent: on SQLite, one scan of the table
    when there is nothing to repair; on other databases, nothing at all."""
    if vendor != "sqlite" or not fields:
        return 0
    # Django writes JSON with ensure_ascii, so a surrogate is stored as a
    # "\ud..." escape (a valid pair too: those rows are read and left as they are).
    texts = {f"_text_{f}": Cast(f, TextField()) for f in fields}
    suspect = Q()
    for name in texts:
        suspect |= Q(**{f"{name}__contains": "\\ud"})
    ids = list(model.objects.annotate(**texts).filter(suspect).values_list("pk", flat=True))
    repaired = 0
    for start in range(0, len(ids), 500):
        for row in model.objects.filter(pk__in=ids[start : start + 500]).only("pk", *fields):
            changed = {f: surrogates_replace(getattr(row, f)) for f in fields if _holds_surrogate(getattr(row, f))}
            if changed:
                model.objects.filter(pk=row.pk).update(**changed)
                repaired += 1
    return repaired


def _holds_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(_holds_surrogate(k) or _holds_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_surrogate(v) for v in value)
    return False
