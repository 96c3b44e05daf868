"""Template context: the bell's unread count in the top bar."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.alerts.selectors import unread_count


def bell(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    return {"nav_unread": unread_count(user=request.user)}
