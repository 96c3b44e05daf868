"""Invitation links, in process: who may make and revoke them, what each
state of a link tells its holder, and sign-up by the CAIRN_SIGNUP setting."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from apps.orgs.models import InviteLink, Membership
from tests.factories import World

pytestmark = pytest.mark.django_db


def link_make(world: World, role: str = "member", days: str = "7") -> str:
    c = world.owner.browser()
    r = c.post("/acme/-/members/", {"action": "link", "role": role, "days": days})
    assert r.status_code == 302
    page = c.get("/acme/-/members/").content.decode()
    m = re.search(r'data-testid="new-link">(http://testserver/join/([^/]+)/)<', page)
    assert m, page
    return m.group(2)


def test_it_stores_only_the_token_hash_and_shows_the_link_once(world: World) -> None:
    token = link_make(world)
    assert len(token) >= 40
    assert not InviteLink.objects.filter(token_hash=token).exists()
    assert "new-link" not in world.owner.browser().get("/acme/-/members/").content.decode()


@pytest.mark.parametrize("who", ["member", "viewer", "outsider", "anonymous"])
def test_only_admins_make_links(world: World, who: str) -> None:
    r = getattr(world, who).browser().post("/acme/-/members/", {"action": "link", "role": "admin"})
    assert r.status_code == {"member": 403, "viewer": 403, "outsider": 404, "anonymous": 404}[who]
    assert not InviteLink.objects.exists()


def test_a_new_person_signs_up_by_the_link_and_joins_once(world: World) -> None:
    token = link_make(world, role="viewer")
    stranger = Client()
    assert b"Create your account" in stranger.get(f"/join/{token}/").content
    form = {"username": "dave", "email": "dave@example.com", "password1": "amber kettle 93", "password2": "amber kettle 93"}
    r = stranger.post(f"/join/{token}/", form)
    assert r.status_code == 302 and r["Location"] == "/acme/"
    assert Membership.objects.get(organization=world.org, user__username="dave").role == "viewer"
    assert stranger.get("/acme/").status_code == 200  # signed in
    again = Client().post(f"/join/{token}/", {**form, "username": "eve"})
    assert again.status_code == 410 and b"already used" in again.content
    assert not get_user_model().objects.filter(username="eve").exists()


def test_a_weak_password_creates_nobody_and_keeps_the_link(world: World) -> None:
    token = link_make(world)
    r = Client().post(f"/join/{token}/", {"username": "dave", "password1": "password", "password2": "password"})
    assert r.status_code == 400
    assert not get_user_model().objects.filter(username="dave").exists()
    assert InviteLink.objects.get().used_at is None


def test_an_existing_user_joins_signed_in_and_keeps_a_higher_role(world: World) -> None:
    token = link_make(world, role="viewer")
    r = world.outsider.browser().post(f"/join/{token}/")
    assert r.status_code == 302
    assert Membership.objects.get(organization=world.org, user=world.outsider.user).role == "viewer"
    token = link_make(world, role="viewer")
    world.member.browser().post(f"/join/{token}/")
    assert Membership.objects.get(organization=world.org, user=world.member.user).role == "member"


def test_revoked_expired_and_unknown_links_say_why(world: World) -> None:
    revoked = link_make(world)
    link = InviteLink.objects.get()
    assert world.owner.browser().post("/acme/-/members/", {"action": "revoke-link", "link_id": link.pk}).status_code == 302
    expired = link_make(world)
    InviteLink.objects.exclude(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for token, words in ((revoked, b"revoked"), (expired, b"expired"), ("x" * 43, b"not valid"), ("y" * 500, b"not valid")):
        r = Client().get(f"/join/{token}/")
        assert r.status_code == 410 and words in r.content
        assert Client().post(f"/join/{token}/", {"username": "z"}).status_code == 410


def test_another_orgs_admin_cannot_revoke_a_link(world: World) -> None:
    link_make(world)
    link = InviteLink.objects.get()
    world.outsider.browser().post("/evil/-/members/", {"action": "revoke-link", "link_id": link.pk})
    assert InviteLink.objects.get().revoked_at is None


def test_days_out_of_range_are_refused(world: World) -> None:
    r = world.owner.browser().post("/acme/-/members/", {"action": "link", "role": "member", "days": "91"})
    assert b"1 to 90 days" in r.content
    assert not InviteLink.objects.exists()


def test_sign_up_follows_the_setting(world: World, settings: object) -> None:
    form = {"username": "frank", "password1": "amber kettle 93", "password2": "amber kettle 93"}
    assert Client().post("/signup/", form).status_code == 403  # invite only by default
    settings.CAIRN_SIGNUP = "open"  # type: ignore[attr-defined]
    assert Client().post("/signup/", form).status_code == 302
    assert get_user_model().objects.filter(username="frank").exists()
    settings.CAIRN_SIGNUP = "closed"  # type: ignore[attr-defined]
    token = link_make(world)
    page = Client().get(f"/join/{token}/").content
    assert b"Create your account" not in page and b"Sign in" in page
    r = Client().post(f"/join/{token}/", {**form, "username": "gina"})
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert not get_user_model().objects.filter(username="gina").exists()


def test_the_profile_sets_the_start_page_organisation(world: World) -> None:
    c = world.owner.browser()
    assert c.get("/").url == "/acme/"
    r = c.post("/settings/profile/", {"first_name": "Alice", "email": "alice@example.com",
                                      "default_organization": world.org.pk})
    assert r.status_code == 302
    world.owner.user.refresh_from_db()
    assert world.owner.user.email == "alice@example.com"
    # Not a member of evil: refused.
    r = c.post("/settings/profile/", {"default_organization": world.other_org.pk})
    assert r.status_code == 400


def test_an_organisation_is_created_from_the_form(world: World) -> None:
    c = world.member.browser()
    r = c.post("/settings/orgs/new/", {"slug": "Lab-1", "name": "The lab"})
    assert r.status_code == 302 and r["Location"] == "/lab-1/"
    assert Membership.objects.get(organization__slug="lab-1", user=world.member.user).role == "admin"
    assert c.post("/settings/orgs/new/", {"slug": "acme"}).status_code == 400
    assert c.post("/settings/orgs/new/", {"slug": "join"}).status_code == 400
    assert c.post("/settings/orgs/new/", {"slug": "a b"}).status_code == 400


def test_a_link_is_mailed_when_email_is_enabled(
    world: World, settings: object, tasks_eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    settings.CAIRN_EMAIL_ENABLED = True  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):
        r = world.owner.browser().post("/acme/-/members/", {"action": "link", "role": "member", "email": "dave@example.com"})
    assert r.status_code == 302
    [message] = mail.outbox
    assert message.to == ["dave@example.com"] and "Acme" in message.subject
    token = re.search(r"http://testserver/join/([^/\s]+)/", message.body).group(1)  # type: ignore[union-attr]
    assert b"Join Acme" in Client().get(f"/join/{token}/").content


def test_password_reset_emails_are_limited_per_address(
    world: World, settings: object, tasks_eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    settings.CAIRN_EMAIL_ENABLED = True  # type: ignore[attr-defined]
    world.owner.user.email = "alice@example.com"
    world.owner.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        answers = [Client().post("/password-reset/", {"email": "alice@example.com"}).status_code for _ in range(6)]
    assert answers == [302] * 5 + [429]
    assert len(mail.outbox) == 5
    # An unknown address gets the same answer as a known one, and no mail.
    assert Client().post("/password-reset/", {"email": "nobody@example.com"}).status_code == 302
    assert len(mail.outbox) == 5


def test_password_reset_says_so_when_the_server_sends_no_email(world: World) -> None:
    r = Client().post("/password-reset/", {"email": "alice@example.com"})
    assert r.status_code == 503 and b"cannot reset passwords by email" in r.content
