"""JSON in and out with NaN and ±Infinity as bare tokens (see docs/protocol.md)."""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import orjson
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

from apps.core.errors import BadInput, TooLarge


@contextmanager
def gc_paused() -> Iterator[None]:
    """Parsing a batch makes ~100,000 dicts and lists, none in a cycle; the
    collections they trigger would each walk the whole heap (Django, numpy)
    for nothing, and cost more than the parse itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def json_loads(raw: bytes) -> Any:
    try:
        with gc_paused():
            return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass  # orjson refuses NaN/Infinity tokens; the stdlib reads them.
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise BadInput(f"Malformed JSON: {e}") from e


def json_dumps(data: Any) -> bytes:
    # orjson would write NaN as null, losing the value; only fall back when needed.
    try:
        return json.dumps(
            data, allow_nan=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
        ).encode()
    except RecursionError as e:
        raise ValueError("value nested too deeply") from e


class CairnJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        limit = settings.CAIRN_MAX_BODY_SIZE
        if length > limit:
            raise TooLarge(f"Request body is {length} bytes; the limit is {limit}.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise TooLarge(f"Request body is over the limit of {limit} bytes.")
        if not raw:
            return {}
        return json_loads(raw)


def nonfinite_as_strings(value: Any) -> Any:
    """NaN and ±Infinity as "NaN", "Infinity", "-Infinity", for JSON.parse."""
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (math.inf, -math.inf):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, dict):
        return {k: nonfinite_as_strings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [nonfinite_as_strings(v) for v in value]
    return value


class CairnJSONRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        request = (renderer_context or {}).get("request")
        # Browsers cannot parse the bare tokens; the web app asks for strings.
        if request is not None and request.META.get("HTTP_X_CAIRN_NONFINITE") == "string":
            data = nonfinite_as_strings(data)
        return json_dumps(data)
