"""Access checks for pages: the same rules as the API, page-shaped errors.

An anonymous visitor who needs more than public data offers is sent to sign
in; a signed-in user without the role gets 403; outsiders get 404.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions as drf

from apps.core.rendering import unstorable_text_find

T = TypeVar("T")


class SignInRequired(Exception):
    pass


def page_resolve(resolve: Callable[..., T], /, **kwargs: Any) -> T:
    """Call an API-shaped resolver (`project_resolve`, ...) for a page."""
    if any(isinstance(v, str) and unstorable_text_find(v) for v in kwargs.values()):
        raise Http404  # a NUL names nothing, and PostgreSQL refuses to look one up
    try:
        return resolve(**kwargs)
    except drf.NotAuthenticated:
        raise SignInRequired from None
    except drf.PermissionDenied:
        raise PermissionDenied from None


class SignInMiddleware:
    """Turns SignInRequired into a redirect to the sign-in page."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SignInRequired):
            return redirect_to_login(request.get_full_path())
        return None
