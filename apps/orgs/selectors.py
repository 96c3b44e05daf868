from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import QuerySet

from apps.orgs.models import ApiKey, Membership, Organization, Role


def org_role(*, user: AbstractBaseUser | AnonymousUser, org: Organization) -> Role | None:
    """The user's role in the organisation, or None for outsiders and anonymous."""
    if not user.is_authenticated:
        return None
    role = Membership.objects.filter(organization=org, user_id=user.pk).values_list("role", flat=True).first()
    return Role(role) if role else None


def org_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user_id=user.pk).select_related("organization").order_by("organization__slug")


def user_default_org(*, user: User) -> Organization | None:
    m = Membership.objects.filter(user_id=user.pk).select_related("organization").order_by("created_at").first()
    return m.organization if m else None


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user_id=user.pk, revoked_at__isnull=True).order_by("-created_at")
