"""Access checks for pages: the same rules as the API, page-shaped errors.

Outsiders get 404 for anything private; an anonymous visitor who needs more
than a public project offers is sent to sign in; a signed-in user without the
role gets 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions as drf

from apps.orgs.models import Organization
from apps.runs.models import Project
from apps.runs.permissions import Access, org_resolve, project_resolve


class SignInRequired(Exception):
    pass


def page_project(request: HttpRequest, org: str, project: str, need: Access = Access.READ) -> tuple[Project, Access]:
    try:
        return project_resolve(user=request.user, org_slug=org, project_slug=project, need=need)
    except drf.NotAuthenticated:
        raise SignInRequired from None
    except drf.PermissionDenied:
        raise PermissionDenied from None


def page_org(request: HttpRequest, org: str, need: Access = Access.READ) -> tuple[Organization, Access]:
    try:
        return org_resolve(user=request.user, org_slug=org, need=need)
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
