"""One error shape for the whole API: {"error": ..., "field": ...}."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

# Every answer under this prefix is JSON, whoever produced it: a view, the
# URL resolver, a middleware, or Django's last-resort handlers.
API_PREFIX = "/api/v1/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(message: str, status: int, *, field: str | None = None) -> JsonResponse:
    """The API's error shape outside DRF views (middleware, Django's handlers)."""
    body: dict[str, Any] = {"error": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status)


class BadInput(exceptions.APIException):
    """A 400 that names the field to blame."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


# PostgreSQL's query_canceled (statement_timeout); SQLite's answer to a progress
# handler that asked to stop (apps.core.db).
_PG_QUERY_CANCELED = "57014"
_SQLITE_INTERRUPT = "SQLITE_INTERRUPT"


def is_query_timeout(exc: BaseException) -> bool:
    """Whether the database stopped a statement for running past CAIRN_QUERY_TIMEOUT."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    return (
        getattr(cause, "sqlstate", None) == _PG_QUERY_CANCELED
        or getattr(cause, "sqlite_errorname", None) == _SQLITE_INTERRUPT
    )


def query_timeout_message() -> str:
    return (
        f"The query took longer than the time limit of {settings.CAIRN_QUERY_TIMEOUT:g} s "
        "and was stopped; narrow the filter, or try again later."
    )


def _first_message(detail: Any, path: str = "") -> tuple[str, str]:
    """The first message of a DRF validation error and the field it belongs to."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            sub = f"{path}.{key}" if path else str(key)
            if key == "non_field_errors":
                sub = path
            return _first_message(value, sub)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0], path)
    return str(detail), path


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        return Response({"error": "Not found."}, status=404)
    # Imported here: rest_framework.views reads the renderer setting, whose
    # module imports this one.
    from rest_framework.views import exception_handler, set_rollback

    if is_query_timeout(exc):  # any other database error stays a 500
        set_rollback()
        return Response({"error": query_timeout_message()}, status=503)

    response = exception_handler(exc, context)
    if response is None:
        return None
    body: dict[str, Any]
    if isinstance(exc, BadInput):
        body = {"error": str(exc.detail)}
        if exc.field:
            body["field"] = exc.field
    elif isinstance(exc, Conflict):
        body = {"error": str(exc.detail), **exc.extra}
    elif isinstance(exc, exceptions.ValidationError):
        message, field = _first_message(exc.detail)
        body = {"error": message}
        if field:
            body["field"] = field
    else:
        detail = getattr(exc, "detail", str(exc))
        body = {"error": str(detail)}
    response.data = body
    return response
