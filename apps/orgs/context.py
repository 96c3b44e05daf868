"""Template context: the organisations in the top bar, and pending invitations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.orgs.selectors import invitation_list_for_user, org_list_for_user


def nav(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {"nav_orgs": []}
    orgs = [m.organization for m in org_list_for_user(user=request.user)]
    current = getattr(request, "resolver_match", None)
    org = current.kwargs.get("org") if current else None
    return {"nav_orgs": orgs, "nav_org": org, "nav_invitations": invitation_list_for_user(user=request.user).count()}
