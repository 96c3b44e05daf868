from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import QuerySet

from apps.orgs.models import ApiKey, Invitation, Membership, Organization, Profile, Role


def org_role(*, user: AbstractBaseUser | AnonymousUser, org: Organization) -> Role | None:
    """The user's role in the organisation, or None for outsiders and anonymous."""
    if not user.is_authenticated:
        return None
    role = Membership.objects.filter(organization=org, user_id=user.pk).values_list("role", flat=True).first()
    return Role(role) if role else None


def org_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user_id=user.pk).select_related("organization").order_by("organization__slug")


def user_profile_default_org(*, user: User) -> Organization | None:
    """The organisation the user picked on their profile, while still a member of it."""
    return Organization.objects.filter(
        pk=Profile.objects.filter(user_id=user.pk).values("default_organization")[:1], memberships__user_id=user.pk
    ).first()


def user_default_org(*, user: User) -> Organization | None:
    """Where the start page leads: the profile's choice, else the first organisation joined."""
    chosen = user_profile_default_org(user=user)
    if chosen is not None:
        return chosen
    m = Membership.objects.filter(user_id=user.pk).select_related("organization").order_by("created_at").first()
    return m.organization if m else None


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user_id=user.pk, revoked_at__isnull=True).order_by("-created_at")


def member_list(*, org: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=org).select_related("user").order_by("user__username")


def member_get(*, org: Organization, username: str) -> Membership | None:
    return Membership.objects.filter(organization=org, user__username=username).select_related("user").first()


def invitation_list_for_org(*, org: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(organization=org).select_related("invited_by").order_by("username")


def invitation_list_for_user(*, user: User) -> QuerySet[Invitation]:
    """The invitations waiting for the user's answer."""
    return (
        Invitation.objects.filter(username=user.get_username())
        .select_related("organization", "invited_by")
        .order_by("-created_at")
    )


# An id past a 64-bit key names nothing (and would overflow the database's integer).
_MAX_ID = 2**63 - 1


def invitation_get_for_user(*, user: User, invitation_id: int) -> Invitation | None:
    if not 0 < invitation_id <= _MAX_ID:
        return None
    return invitation_list_for_user(user=user).filter(pk=invitation_id).first()


def invitation_get_for_org(*, org: Organization, invitation_id: int) -> Invitation | None:
    if not 0 < invitation_id <= _MAX_ID:
        return None
    return Invitation.objects.filter(organization=org, pk=invitation_id).first()
