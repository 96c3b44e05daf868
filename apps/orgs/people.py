"""People: invitation links, sign-up, profiles and password-reset limits.

Writes and reads for the pages in apps/orgs/people_views.py. An invitation
link's token is 256 random bits; only its SHA-256 is stored, so the table
alone lets nobody join.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.tasks import enqueue_on_commit
from apps.orgs.models import (
    InviteLink,
    Membership,
    Organization,
    PasswordResetRequest,
    Profile,
    Role,
)

SEND_EMAIL_TASK = "orgs.send_email"
# Live (unused, unexpired, unrevoked) links an organisation may hold at once.
MAX_LIVE_LINKS = 200
MAX_INVITE_DAYS = 90
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def email_send(*, to: str, subject: str, body: str) -> None:
    """Mail one message from a Celery worker once the transaction commits
    (through the outbox: a broker outage delays it, never drops it)."""
    enqueue_on_commit(SEND_EMAIL_TASK, to, subject[:200], body)


class TooManyLinks(Exception):
    pass


@dataclass(frozen=True)
class NewLink:
    link: InviteLink
    token: str


def invite_links_live(*, org: Organization) -> QuerySet[InviteLink]:
    return InviteLink.objects.filter(
        organization=org, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def invite_link_list(*, org: Organization) -> QuerySet[InviteLink]:
    """The organisation's links, newest first; used and revoked ones stay listed for a month."""
    since = timezone.now() - timedelta(days=30)
    return (
        InviteLink.objects.filter(organization=org, created_at__gte=since)
        .select_related("invited_by", "used_by")
        .order_by("-created_at")[:MAX_LIVE_LINKS]
    )


@transaction.atomic
def invite_link_create(
    *, org: Organization, role: Role, invited_by: User, days: int, email: str = "", join_url: str = ""
) -> NewLink:
    """A new single-use link valid `days` days. With `email` (and email
    enabled), the link is also mailed there; `join_url` is the link's address
    without the token, as the inviting admin's browser reached the server."""
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise ValueError(f"A link lasts 1 to {MAX_INVITE_DAYS} days.")
    # Locked: two admins at once cannot both pass the count.
    Organization.objects.select_for_update().filter(pk=org.pk).first()
    if invite_links_live(org=org).count() >= MAX_LIVE_LINKS:
        raise TooManyLinks(f"{org.slug} has {MAX_LIVE_LINKS} unused links; revoke some first.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = InviteLink.objects.create(
        organization=org, role=role, invited_by=invited_by, email=email, token_hash=token_hash(token),
        expires_at=timezone.now() + timedelta(days=days),
    )
    if email and settings.CAIRN_EMAIL_ENABLED:
        context = {"org": org, "role": role, "inviter": invited_by, "url": join_url + token + "/", "days": days}
        email_send(
            to=email,
            subject=f"{invited_by.get_username()} invites you to {org.name} on Cairn",
            body=render_to_string("orgs/email/invitation.txt", context),
        )
    return NewLink(link=link, token=token)


def invite_link_revoke(*, org: Organization, link_id: int) -> bool:
    if not 0 < link_id < 2**63:
        return False
    return bool(
        InviteLink.objects.filter(organization=org, pk=link_id, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


class LinkUnusable(Exception):
    """What the person holding the link is told."""


def invite_link_find(*, token: str) -> InviteLink:
    """The link of `token` if it may still be used; LinkUnusable says why not."""
    if not token or len(token) > 100:
        raise LinkUnusable("This invitation link is not valid. Check that you copied all of it.")
    link = InviteLink.objects.select_related("organization", "invited_by").filter(token_hash=token_hash(token)).first()
    if link is None:
        raise LinkUnusable("This invitation link is not valid. Check that you copied all of it.")
    if link.revoked_at is not None:
        raise LinkUnusable("This invitation was revoked by an admin. Ask them for a new one.")
    if link.used_at is not None:
        raise LinkUnusable("This invitation link was already used: each link lets one person join. Ask an admin for a new one.")
    if link.expires_at <= timezone.now():
        raise LinkUnusable("This invitation link has expired. Ask an admin for a new one.")
    return link


@transaction.atomic
def invite_link_use(*, token: str, user: User) -> Membership:
    """`user` joins with the link's role; an existing member keeps their role.
    Only one caller can use a link, even two at once."""
    link = invite_link_find(token=token)
    taken = InviteLink.objects.filter(
        pk=link.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).update(used_at=timezone.now(), used_by=user)
    if taken != 1:
        raise LinkUnusable("This invitation link was already used: each link lets one person join. Ask an admin for a new one.")
    membership, _ = Membership.objects.get_or_create(
        organization=link.organization, user=user, defaults={"role": link.role}
    )
    return membership


def profile_default_org_set(*, user: User, org: Organization | None) -> None:
    if org is not None and not Membership.objects.filter(organization=org, user=user).exists():
        raise ValueError("not a member")
    Profile.objects.update_or_create(user=user, defaults={"default_organization": org})


def password_reset_allowed(*, email: str, client: str) -> bool:
    """Record one request; False past CAIRN_PASSWORD_RESET_LIMIT an hour for
    the address or for the client, so the form cannot be used to flood a mailbox."""
    limit = settings.CAIRN_PASSWORD_RESET_LIMIT
    since = timezone.now() - timedelta(hours=1)
    email_key = token_hash(email.strip().lower())
    client_key = token_hash(client)
    PasswordResetRequest.objects.filter(created_at__lt=since).delete()
    recent = PasswordResetRequest.objects.filter(created_at__gte=since)
    if recent.filter(email_hash=email_key).count() >= limit or recent.filter(client=client_key).count() >= limit * 4:
        return False
    PasswordResetRequest.objects.create(email_hash=email_key, client=client_key)
    return True
