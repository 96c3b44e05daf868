"""Django's last-resort error views: JSON under /api/v1/, the usual pages elsewhere.

DRF answers the errors its views raise; these answer the rest: a URL that
matches no route (404), an exception that escaped a view (500), a request
Django refuses before any view runs (400, or 413 for a body over
DATA_UPLOAD_MAX_MEMORY_SIZE), and a 403 from outside DRF.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views import defaults

from apps.core.errors import error_response, is_api_request


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return error_response("Request body too large.", 413)
    return error_response("Bad request.", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return defaults.permission_denied(request, exception)
    return error_response("Forbidden.", 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return defaults.page_not_found(request, exception)
    return error_response("Not found.", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if not is_api_request(request):
        return defaults.server_error(request)
    return error_response("Internal server error.", 500)
