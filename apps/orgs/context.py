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
    # The organisation the top bar's Projects, Reports and Benchmarks lead to:
    # the page's own when it is one of the user's, else their first.
    slugs = [o.slug for o in orgs]
    here = org.lower() if isinstance(org, str) and org.lower() in slugs else (slugs[0] if slugs else None)
    return {
        "nav_orgs": orgs,
        "nav_org": org,
        "nav_here": here,
        "nav_invitations": invitation_list_for_user(user=request.user).count(),
    }
