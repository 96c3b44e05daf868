"""Django's last-resort error views: JSON under /api/v1/, styled pages elsewhere.

DRF answers the errors its views raise; these answer the rest: a URL that
matches no route (404), an exception that escaped a view (500), a request
Django refuses before any view runs (400, or 413 for a body over
DATA_UPLOAD_MAX_MEMORY_SIZE), and a 403 from outside DRF. A page signed out
offers to sign in: a private project's link opened signed out is a 404
(outsiders may not learn it exists) that leads to the sign-in page.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

from apps.core.errors import error_response, is_api_request

PAGES = {
    400: ("Bad request", "The server could not read this request."),
    403: ("Not allowed", "Your role in this organisation does not allow this. An admin of it can change your role."),
    404: ("Not found", "There is nothing here, or it is not shared with you."),
    500: ("Something went wrong", "The server failed on this page; it has been logged. Try again in a moment."),
}


def _page(request: HttpRequest, status: int) -> HttpResponse:
    title, message = PAGES[status]
    return render(request, "errors/error.html", {"status": status, "title": title, "message": message}, status=status)


def _bare_page(request: HttpRequest, status: int) -> HttpResponse:
    """The page without context processors: what failed may be what they read
    (the database for a 500, the Host header for a 400)."""
    title, message = PAGES[status]
    html = loader.get_template("errors/error.html").render(
        {"status": status, "title": title, "message": message, "request": request}
    )
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return _bare_page(request, 400)
    if isinstance(exception, RequestDataTooBig):
        return error_response("Request body too large.", 413)
    return error_response("Bad request.", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return _page(request, 403)
    return error_response("Forbidden.", 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return _page(request, 404)
    return error_response("Not found.", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if not is_api_request(request):
        return _bare_page(request, 500)
    return error_response("Internal server error.", 500)
