"""Gzip request bodies made lazy, and `Server-Timing` on every response."""

from __future__ import annotations

import time
from typing import Any, Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.core.errors import error_response, is_api_request
from apps.core.inflate import InflatingStream, anonymous_refused

# Routes whose body is a file's bytes (CAIRN_MAX_FILE_SIZE), not JSON.
FILE_UPLOAD_ROUTES = frozenset({"file-detail"})
# Django parses these itself (request.POST), before any view checks access.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/")


class GzipRequestMiddleware:
    """`Content-Encoding: gzip` bodies on the API, inflated only as the view
    reads them (apps/core/inflate.py): a request refused for its URL, its
    caller or its access never costs a byte of inflation. Pages take no
    compressed bodies (browsers send none)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any) -> HttpResponse | None:
        if request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower() != "gzip":
            return None
        message = "Content-Encoding gzip is accepted on API bodies of JSON or file bytes only."
        if not is_api_request(request):
            return HttpResponse(message, status=415, content_type="text/plain")
        if (request.content_type or "").startswith(FORM_TYPES):
            return error_response(message, 415)
        match = request.resolver_match
        is_file = match is not None and match.url_name in FILE_UPLOAD_ROUTES
        limit = settings.CAIRN_MAX_FILE_SIZE if is_file else settings.CAIRN_MAX_BODY_SIZE
        inflating = InflatingStream(request._stream, limit=limit, before_first_read=anonymous_refused(request))
        request._stream = inflating  # type: ignore[assignment]
        del request.META["HTTP_CONTENT_ENCODING"]
        return None


class ServerTimingMiddleware:
    """`Server-Timing: app;dur=<ms>` on every response: the time spent in
    Django, so clients and benchmarks can tell server time from the network."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.1f}"
        return response
