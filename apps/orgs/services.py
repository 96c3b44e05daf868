from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from apps.orgs.keys import key_generate
from apps.orgs.models import ApiKey, Membership, Organization, Role


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
RESERVED_ORG_SLUGS = frozenset({"admin", "api", "login", "logout", "settings", "static", "media", "benchmarks", "reports", "r"})


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
