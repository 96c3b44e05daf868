"""The OpenAPI schema's shared rules: one error shape, the error statuses every
operation can answer, and parameters with their bounds.

Views are thin APIViews that return dicts; each method says what it takes
and gives with `extend_schema` (serializers in its app's `schemas.py`), and
`CairnAutoSchema` adds what is true of every operation of its kind, so no
operation can forget it:

- 400 when it takes input (parameters or a body), 401 always (a wrong or
  revoked key is 401 everywhere), 403 for writes (and reads that need more
  than read access), 404 when the URL names something, 413 and 415 for a
  JSON body; each with the `Error` body.
- A description of its own: the method's, else its own class's, never one
  inherited from a base class.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from apps.core.access import Access
from apps.core.apis import ScopedApi
from apps.core.params import MAX_INT

# A need of a scope's read level: what anyone who sees the thing may do.
_READ_NEEDS = (Access.NONE, Access.READ, "read")
_BODY_METHODS = ("POST", "PUT", "PATCH")

ERROR_DESCRIPTIONS = {
    400: "Bad input: malformed JSON, a wrong type, a value out of bounds. `field` names the culprit; nothing was stored.",
    401: "A key was sent and is wrong or revoked, or the operation needs a signed-in caller.",
    403: "The caller may see this but not do this (a viewer writing), or a browser request without its CSRF token.",
    404: "No such thing, or the caller may not know it exists.",
    409: "Conflicts with what is stored.",
    413: "The body (after decompression) is over the limit.",
    415: "The body is not JSON (`Content-Type: application/json`).",
    503: "The server cannot do this now; for a read, its query ran past the time limit (`CAIRN_QUERY_TIMEOUT`).",
}
# Answered by gunicorn before Cairn sees the request, as plain text.
URI_TOO_LONG = "The URL is longer than the server takes (gunicorn's request-line limit: 8 KiB as Cairn runs it)."


class ErrorSerializer(serializers.Serializer):
    """Every error of the API: a message, and the input field to blame when there is one."""

    error = serializers.CharField(help_text="What went wrong, for a person.")
    field = serializers.CharField(
        required=False, help_text="The input to blame, as a path: `tags`, `records[12].step`."
    )

    class Meta:
        ref_name = "Error"


class StreamGapSerializer(ErrorSerializer):
    """A stream append the server cannot take as it is (docs/protocol.md, Streams).

    A gap (`expected_offset`: resend from there), or, with `conflict: content`,
    offsets of the writer that hold other records (another process appends as
    the same writer; nothing was stored).
    """

    expected_offset = serializers.IntegerField(min_value=0, required=False, help_text="A gap: resend from here.")
    conflict = serializers.ChoiceField(
        choices=["content"], required=False, help_text="content: the offsets hold other records."
    )

    class Meta:
        ref_name = "StreamGap"


def error(code: int, description: str = "", body: Any = ErrorSerializer) -> OpenApiResponse:
    return OpenApiResponse(body, description=description or ERROR_DESCRIPTIONS[code])


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """`responses={**errors(409)}`: statuses an operation answers beyond the ones every operation of its kind does."""
    return {code: error(code) for code in codes}


class CairnAutoSchema(AutoSchema):
    def get_description(self) -> str:  # type: ignore[override]
        method = getattr(self.view, self.method.lower(), None)
        own = getattr(method, "__doc__", None) or self.view.__class__.__dict__.get("__doc__")
        return inspect.cleandoc(own) if own else ""

    def error_codes(self) -> set[int]:
        codes = {401}
        if self.method in _BODY_METHODS:
            codes |= {400, 403, 413, 415} if self._get_request_body() else {400, 403}
        if self._get_parameters():
            codes.add(400)
        if "{" in self.path:
            codes.add(404)
        if isinstance(self.view, ScopedApi):
            need = self.view.needs.get(self.method, self.view.unlisted_needs)
            if need not in _READ_NEEDS:
                codes.add(403)
        if self.method in ("GET", "HEAD"):
            codes.add(503)  # any read's queries are held to the time limit
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in sorted(self.error_codes()):
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    error(code), str(code), ["application/json"], direction
                )
        if any(p.get("in") == "query" for p in self._get_parameters()) and "414" not in responses:
            responses["414"] = {"description": URI_TOO_LONG}
        return responses


# --- Parameters --------------------------------------------------------------


def int_query(
    name: str, description: str = "", *, default: int | None = None, minimum: int = 0,
    maximum: int | None = None, required: bool = False,
) -> OpenApiParameter:
    """An integer query parameter with the bounds `core.params.int_param` enforces (at most MAX_INT unless less)."""
    schema: dict[str, Any] = {"type": "integer", "minimum": minimum, "maximum": MAX_INT if maximum is None else maximum}
    if default is not None:
        schema["default"] = default
    return OpenApiParameter(name, schema, description=description, required=required)


def enum_query(name: str, values: Sequence[str], description: str = "", *, default: str | None = None) -> OpenApiParameter:
    schema: dict[str, Any] = {"type": "string", "enum": list(values)}
    if default is not None:
        schema["default"] = default
    return OpenApiParameter(name, schema, description=description)


NO_NUL = "^[^\\u0000]*$"


def text_query(
    name: str, description: str = "", *, required: bool = False, max_length: int | None = None,
    pattern: str | None = None,
) -> OpenApiParameter:
    schema: dict[str, Any] = {"type": "string"}
    if required:
        schema["minLength"] = 1
    if max_length is not None:
        schema["maxLength"] = max_length
    # No NUL: no database can look one up, so every parameter refuses it (apps/core/params.py).
    schema["pattern"] = pattern if pattern is not None else NO_NUL
    return OpenApiParameter(name, schema, description=description, required=required)


def flag_query(name: str, description: str) -> OpenApiParameter:
    """`?name=1` (or `true`) turns it on; any other value leaves it off, so any string is valid."""
    return OpenApiParameter(name, {"type": "string"}, description=f"{description} (`1` or `true`; anything else is off)")


def path_param(
    name: str, description: str, pattern: str | None = None, *, integer: bool = False, max_length: int | None = None,
) -> OpenApiParameter:
    schema: dict[str, Any] = {"type": "integer", "minimum": 0} if integer else {"type": "string", "minLength": 1}
    if pattern is not None:
        schema["pattern"] = pattern
    if max_length is not None:
        schema["maxLength"] = max_length
    return OpenApiParameter(name, schema, location=OpenApiParameter.PATH, required=True, description=description)


# Slugs are case-insensitive on input (stored lower case): apps.core.slugs.
SLUG_PATH_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


def slug_path(name: str, description: str) -> OpenApiParameter:
    return path_param(name, description, SLUG_PATH_PATTERN)
