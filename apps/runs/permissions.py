"""Who may do what to a project: the one place every endpoint and page asks.

Outsiders get 404 for anything private, so a private project's existence does
not leak; someone who can see a project but not change it gets 403 (401 when
anonymous).
"""

from __future__ import annotations

from enum import IntEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.models import User as DjangoUser
from django.db.models import OuterRef, Subquery
from django.http import Http404
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from apps.orgs.models import Membership, Organization, Role
from apps.orgs.selectors import org_role
from apps.runs.models import Project

User = AbstractBaseUser | DjangoUser | AnonymousUser


class Access(IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2
    ADMIN = 3


_ROLE_ACCESS = {Role.VIEWER: Access.READ, Role.MEMBER: Access.WRITE, Role.ADMIN: Access.ADMIN}


def org_access(*, user: User, org: Organization) -> Access:
    role = org_role(user=user, org=org)
    return _ROLE_ACCESS[role] if role else Access.NONE


def project_access(*, user: User, project: Project) -> Access:
    access = org_access(user=user, org=project.organization)
    if access == Access.NONE and project.is_public:
        return Access.READ
    return access


def access_require(*, user: User, have: Access, need: Access) -> None:
    """Raise the right error when `have` falls short of `need`."""
    if have >= need:
        return
    if have == Access.NONE:
        raise Http404
    if not user.is_authenticated:
        raise NotAuthenticated("Sign in or send an API key to do this.")
    raise PermissionDenied("Your role does not allow this.")


def org_resolve(*, user: User, org_slug: str, need: Access) -> tuple[Organization, Access]:
    org = Organization.objects.filter(slug=org_slug.lower()).first()
    if org is None:
        raise Http404
    have = org_access(user=user, org=org)
    access_require(user=user, have=have, need=need)
    return org, have


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
    have = _ROLE_ACCESS[Role(caller_role)] if caller_role else Access.NONE
    if have == Access.NONE and project.is_public:
        have = Access.READ
    access_require(user=user, have=have, need=need)
    return project, have
