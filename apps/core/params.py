"""Reading a request's query parameters and body, with 400s that name the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rest_framework.request import Request

from apps.core.errors import BadInput
from apps.core.rendering import unstorable_text_find

# Every integer a query parameter carries fits a signed 64-bit column: a
# bigger one would overflow the database's integers (a 500), not match nothing.
MAX_INT = 2**63 - 1
_INTEGER = re.compile(r"-?[0-9]{1,19}")


def int_param(request: Request, name: str, default: int | None, lo: int = 0, hi: int = MAX_INT) -> int | None:
    """`?name=`: an integer in [lo, hi], the default when absent, else a 400 naming it.

    An empty value (`?limit=`) is a 400, not the default: the schema says integer,
    and a generated client that sends one has a bug worth hearing about."""
    if len(request.query_params.getlist(name)) > 1:
        raise BadInput("Give it once.", name)
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(str(raw)):
        raise BadInput("Must be an integer.", name)
    value = int(str(raw))
    if value < lo or value > hi:
        raise BadInput(f"Must be between {lo} and {hi}.", name)
    return value


def keys_param(request: Request) -> list[str] | None:
    """`?keys=a,b`: the keys asked for, or None for all."""
    raw = request.query_params.get("keys")
    if not raw:
        return None
    return [k for k in raw.split(",") if k]


def body_object(request: Request) -> dict[str, Any]:
    data = request.data
    if not isinstance(data, dict):
        raise BadInput("The body must be a JSON object.")
    return data


def request_text_check(request: Request, url_parts: Mapping[str, Any]) -> None:
    """A 400 naming the URL part or query parameter whose text no database can
    store or even look up (a NUL fails any PostgreSQL query it is bound to),
    before any query uses it."""
    texts = [(name, [v]) for name, v in url_parts.items() if isinstance(v, str)]
    texts += list(request.query_params.lists())
    for name, values in texts:
        for value in values:
            found = unstorable_text_find(value)
            if found is not None:
                raise BadInput(found[1], name)
        if unstorable_text_find(name) is not None:
            raise BadInput("A query parameter's name holds a NUL.")
