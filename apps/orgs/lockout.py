"""Sign-in throttling (django-axes, configured in webapp/settings.py): who the
caller is, and what a locked-out caller is told."""

from __future__ import annotations

import math
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.errors import error_response, is_api_request


def client_ip(request: HttpRequest) -> str:
    """The caller's address. Behind CAIRN_PROXY_COUNT proxies, the address the
    outermost one saw: X-Forwarded-For counted from the right, the part each
    proxy appended, not what the client wrote."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    count = settings.CAIRN_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
    return hops[-count] if len(hops) >= count else remote


def lockout_response(request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None) -> HttpResponse:
    """429, with Retry-After: JSON on the API, the sign-in page with the reason elsewhere."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    minutes = max(1, math.ceil(seconds / 60))
    message = (
        f"Too many failed sign-ins for this username from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
    locked: HttpResponse
    if is_api_request(request):
        locked = error_response(message, 429)
    else:
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        locked = render(
            request, "login.html", {"form": AuthenticationForm(request), "lockout": message, "next": next_url}, status=429
        )
    locked["Retry-After"] = str(seconds)
    return locked


def sign_in_succeeded(request: HttpRequest, username: str) -> None:
    """Forget this username's failures from this address, as a sign-in on the
    page does: HTTP Basic checks a password without signing in, so axes does
    not see its successes by itself."""
    axes_reset(ip=client_ip(request), username=username)
