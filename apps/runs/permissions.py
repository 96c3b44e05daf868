"""Who may do what to a project: the one place every runs endpoint and page asks.

A public project is readable by anyone; everything else follows the caller's
role in the project's organisation (see apps/core/access.py for the answers).
"""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest

from apps.core.access import Access, User, access_require
from apps.core.pages import page_resolve
from apps.orgs.models import Membership, Role
from apps.orgs.permissions import ROLE_ACCESS, org_access
from apps.runs.models import Project


def project_access(*, user: User, project: Project) -> Access:
    access = org_access(user=user, org=project.organization)
    if access == Access.NONE and project.is_public:
        return Access.READ
    return access


def project_resolve(*, user: User, org_slug: str, project_slug: str, need: Access) -> tuple[Project, Access]:
    projects = Project.objects.select_related("organization").filter(
        organization__slug=org_slug.lower(), slug=project_slug.lower()
    )
    if user.is_authenticated:
        # The caller's role comes with the project: one query on every request, not two.
        role = Membership.objects.filter(organization=OuterRef("organization"), user_id=user.pk).values("role")[:1]
        projects = projects.annotate(caller_role=Subquery(role))
    project = projects.first()
    if project is None:
        raise Http404
    caller_role = getattr(project, "caller_role", None)
    have = ROLE_ACCESS[Role(caller_role)] if caller_role else Access.NONE
    if have == Access.NONE and project.is_public:
        have = Access.READ
    access_require(user=user, have=have, need=need)
    return project, have


def page_project(request: HttpRequest, org: str, project: str, need: Access = Access.READ) -> tuple[Project, Access]:
    return page_resolve(project_resolve, user=request.user, org_slug=org, project_slug=project, need=need)
