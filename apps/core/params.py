"""Reading a request's query parameters and body, with 400s that name the field."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from apps.core.errors import BadInput


def int_param(request: Request, name: str, default: int | None, lo: int = 0, hi: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError:
        raise BadInput("Must be an integer.", name) from None
    if value < lo or (hi is not None and value > hi):
        raise BadInput(f"Must be between {lo} and {hi}." if hi is not None else f"Must be >= {lo}.", name)
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
