"""Errors to Sentry (or any service that speaks its protocol), only when CAIRN_SENTRY_DSN is set.

`sentry-sdk` is an optional extra (`pip install "cairn[server,sentry]"`),
imported only here. What it sends is kept free of secrets and personal data:
no user, address, cookies or request body, no local variables of the stack
frames (a frame may hold a key or a password); headers go through the SDK's
scrubber (Authorization, Cookie and the like removed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

# Request headers that may name a caller or carry a credential: never sent.
_DROPPED_HEADERS = {"authorization", "cookie", "x-api-key", "x-forwarded-for", "x-real-ip", "proxy-authorization"}


def _scrub(event: Event, hint: Hint) -> Event:
    request: Any = event.get("request")
    if isinstance(request, dict):
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}
        for key in ("cookies", "data", "env", "query_string"):
            request.pop(key, None)
    event.pop("user", None)
    return event


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    try:
        import sentry_sdk
        from sentry_sdk.integrations.celery import CeleryIntegration
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError:
        raise ImproperlyConfigured(
            'CAIRN_SENTRY_DSN is set but sentry-sdk is not installed: pip install "cairn[server,sentry]"'
        ) from None
    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=_scrub,
    )
