"""JSON in and out with NaN and ±Infinity as bare tokens (see docs/protocol.md)."""

from __future__ import annotations

import gc
import json
import math
import re
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


# Text that cannot be stored: a lone UTF-16 surrogate is no character (it has
# no UTF-8 form, so every later read of it would fail), and PostgreSQL holds
# no NUL in text or jsonb. Both arrive only as \\u escapes: raw surrogate
# bytes are not UTF-8 and a raw NUL is not JSON.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# A \\u escape of a surrogate (an odd run of backslashes before the u), and
# the low half that may follow a high one to make a valid pair.
_SURROGATE_ESCAPE = re.compile(
    rb"(?<!\\)(?:\\\\)*\\u([dD][89a-fA-F][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
)


def _lone_surrogate_escaped(raw: bytes) -> bool:
    for m in _SURROGATE_ESCAPE.finditer(raw):
        if not (m.group(1)[1:2] in b"89abAB" and m.group(2)):
            return True
    return False


def _shown(text: str) -> str:
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def unstorable_text_find(value: Any, field: str = "") -> tuple[str, str] | None:
    """The first string or key holding a NUL or a lone surrogate: (its field, the problem)."""
    stack: list[tuple[str, Any]] = [(field, value)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, str):
            bad = _UNSTORABLE.search(v)
            if bad:
                return path, _problem(bad.group())
        elif isinstance(v, dict):
            items = []
            for k, item in v.items():
                sub = f"{path}.{_shown(k)}" if path else _shown(k)
                bad = _UNSTORABLE.search(k)
                if bad:
                    return sub, _problem(bad.group())
                items.append((sub, item))
            stack.extend(reversed(items))
        elif isinstance(v, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(v))))
    return None


def _problem(char: str) -> str:
    if char == "\x00":
        return "Text may not contain NUL (\\u0000)."
    return f"A lone UTF-16 surrogate (\\u{ord(char):04x}) is not a character: send text as valid Unicode."


def unstorable_text_check(value: Any, field: str = "") -> None:
    """A 400 naming the first string or key no database can store."""
    found = unstorable_text_find(value, field)
    if found is not None:
        raise BadInput(found[1], found[0] or None)


def json_loads(raw: bytes) -> Any:
    """JSON from a request body, strictly: UTF-8, and no text that cannot be
    stored (see _UNSTORABLE), refused with a 400 before anything is stored."""
    try:
        with gc_paused():
            value = orjson.loads(raw)
        suspect = b"\\u0000" in raw  # orjson refuses lone surrogates itself
    except orjson.JSONDecodeError:
        # orjson refuses NaN/Infinity tokens (and integers past 64 bits); the stdlib reads them.
        value = _stdlib_loads(raw)
        suspect = b"\\u0000" in raw or _lone_surrogate_escaped(raw)
    if suspect:
        unstorable_text_check(value)
    return value


def _stdlib_loads(raw: bytes) -> Any:
    try:
        # Decoded here, strictly: json.loads would read bytes with "surrogatepass".
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadInput(f"Malformed JSON: not UTF-8 (byte {e.start}).") from None
    try:
        return json.loads(text)
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
