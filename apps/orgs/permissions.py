"""Who may do what in an organisation: a member's role as an `Access`."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from apps.core.access import Access, User, access_require
from apps.core.pages import page_resolve
from apps.orgs.models import Organization, Role
from apps.orgs.selectors import org_role

ROLE_ACCESS = {Role.VIEWER: Access.READ, Role.MEMBER: Access.WRITE, Role.ADMIN: Access.ADMIN}


def org_access(*, user: User, org: Organization) -> Access:
    role = org_role(user=user, org=org)
    return ROLE_ACCESS[role] if role else Access.NONE


def org_resolve(*, user: User, org_slug: str, need: Access) -> tuple[Organization, Access]:
    org = Organization.objects.filter(slug=org_slug.lower()).first()
    if org is None:
        raise Http404
    have = org_access(user=user, org=org)
    access_require(user=user, have=have, need=need)
    return org, have


def page_org(request: HttpRequest, org: str, need: Access = Access.READ) -> tuple[Organization, Access]:
    return page_resolve(org_resolve, user=request.user, org_slug=org, need=need)
