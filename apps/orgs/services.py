from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.orgs.keys import key_generate
from apps.orgs.models import ApiKey, Invitation, Membership, Organization, Role


def api_key_create(*, user: User, name: str = "") -> tuple[ApiKey, str]:
    """Create a key; returns the row and the full key, which is never stored."""
    new = key_generate()
    key = ApiKey.objects.create(user=user, name=name[:100], prefix=new.prefix, key_hash=new.hash)
    return key, new.full


def api_key_revoke(*, user: User, key_id: int) -> bool:
    return bool(
        ApiKey.objects.filter(pk=key_id, user_id=user.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


# First path segments the pages use; an organisation cannot be named after them.
RESERVED_ORG_SLUGS = frozenset({"admin", "api", "login", "logout", "settings", "static", "media", "benchmarks", "reports", "r", "notifications", "search", "join", "signup", "password-reset"})


class ReservedSlug(ValueError):
    pass


@transaction.atomic
def org_create(*, slug: str, name: str = "", owner: User) -> Organization:
    if slug.lower() in RESERVED_ORG_SLUGS:
        raise ReservedSlug(f"{slug!r} is reserved; choose another name.")
    org = Organization.objects.create(slug=slug.lower(), name=name or slug)
    Membership.objects.create(organization=org, user=owner, role=Role.ADMIN)
    return org


class LastAdmin(Exception):
    """The change would leave the organisation without an admin."""

    def __init__(self) -> None:
        super().__init__("An organisation keeps at least one admin.")


def _last_admin_guard(*, org: Organization, user: User) -> None:
    # Locked: two admins demoting each other at once must not both succeed.
    admins = list(
        Membership.objects.select_for_update().filter(organization=org, role=Role.ADMIN).values_list("user_id", flat=True)
    )
    if admins == [user.pk]:
        raise LastAdmin


@transaction.atomic
def membership_set(*, org: Organization, user: User, role: Role) -> Membership:
    if role != Role.ADMIN:
        _last_admin_guard(org=org, user=user)
    m, _ = Membership.objects.update_or_create(organization=org, user=user, defaults={"role": role})
    return m


@transaction.atomic
def membership_remove(*, org: Organization, user: User) -> None:
    _last_admin_guard(org=org, user=user)
    Membership.objects.filter(organization=org, user=user).delete()


# Pending invitations an organisation may hold at once.
MAX_PENDING_INVITATIONS = 500


class AlreadyMember(Exception):
    pass


class BadUsername(ValueError):
    pass


class TooManyInvitations(Exception):
    pass


@transaction.atomic
def invitation_create(*, org: Organization, username: str, role: Role, invited_by: User) -> Invitation:
    """Invite `username` (inviting again changes the role). Whether such a
    user exists changes nothing here: the answer must not tell."""
    if not username or len(username) > 150:
        raise BadUsername("A username is 1 to 150 characters.")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise BadUsername("A username holds letters, digits and @ . + - _ only.") from None
    if Membership.objects.filter(organization=org, user__username=username).exists():
        raise AlreadyMember(f"{username} is already a member; change their role instead.")
    pending = Invitation.objects.select_for_update().filter(organization=org)
    if not pending.filter(username=username).exists() and pending.count() >= MAX_PENDING_INVITATIONS:
        raise TooManyInvitations(f"{org.slug} has {MAX_PENDING_INVITATIONS} pending invitations; cancel some first.")
    invitation, _ = Invitation.objects.update_or_create(
        organization=org, username=username, defaults={"role": role, "invited_by": invited_by}
    )
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """The invitee (`invitation.username`) joins; already a member, they keep their role."""
    if invitation.username != user.get_username():
        raise ValueError("an invitation is accepted by its invitee only")
    membership, _ = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    invitation.delete()
    return membership


def invitation_delete(*, invitation: Invitation) -> None:
    """Declined by the invitee, or cancelled by an admin."""
    invitation.delete()


def user_create(*, username: str, password: str, email: str = "") -> User:
    """A new user; a password Django's validators refuse (too short, too common,
    like the username) raises ValidationError and creates nothing."""
    user = get_user_model()(username=username, email=email)
    validate_password(password, user=user)
    user.set_password(password)
    user.save()
    return user


def user_password_set(*, user: User, password: str) -> None:
    validate_password(password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
