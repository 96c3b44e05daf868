"""The pages: rules and deliveries of a project, channels of an organisation, the bell and notifications."""

from __future__ import annotations

from typing import Any

import pytest

from apps.alerts.models import Channel, Rule
from tests.alerts.helpers import P, channel, log, rule
from tests.alerts.receiver import Receiver
from tests.factories import World

pytestmark = pytest.mark.django_db
PAGE = "/acme/secret/alerts/"


def test_members_add_and_mute_rules_and_viewers_only_read(world: World) -> None:
    hook = channel(world.owner, url="https://example.com/hook")
    b = world.member.browser()
    r = b.post(PAGE, {"action": "create", "kind": "metric", "name": "diverged", "condition": "val/loss > 5",
                      "channels": [str(hook["id"])]})
    assert r.status_code == 302
    made = Rule.objects.get()
    assert (made.name, made.condition, [c.name for c in made.channels.all()]) == ("diverged", "val/loss > 5", ["hook"])
    bad = b.post(PAGE, {"action": "create", "kind": "metric", "condition": "val/loss >"})
    assert bad.status_code == 400 and b"condition:" in bad.content
    b.post(PAGE, {"action": "mute", "rule_id": str(made.pk)})
    assert Rule.objects.get().enabled is False
    page = world.viewer.browser().get(PAGE)
    assert page.status_code == 200 and b"diverged" in page.content and b"create-rule" not in page.content
    assert world.viewer.browser().post(PAGE, {"action": "delete", "rule_id": str(made.pk)}).status_code == 403
    assert world.outsider.browser().get(PAGE).status_code == 404
    assert world.anonymous.browser().get(PAGE).status_code == 404  # a private project, as to outsiders


def test_failed_deliveries_show_their_error_and_can_be_retried(
    world: World, receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CAIRN_ALERT_DELIVERY_TRIES = 1
    receiver.status = 500
    hook = channel(world.owner, url=receiver.url)
    rule(world.member, kind="metric", condition="loss > 1", channels=[hook["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"loss": 2.0}])
    page = world.member.browser().get(PAGE).content.decode()
    assert 'data-state="failed"' in page and "HTTP 500: receiver says no" in page
    receiver.status = 200
    delivery_id = page.split('name="delivery_id" value="')[1].split('"')[0]
    with django_capture_on_commit_callbacks(execute=True):
        world.member.browser().post(PAGE, {"action": "retry", "delivery_id": delivery_id})
    assert 'data-state="sent"' in world.member.browser().get(PAGE).content.decode()


def test_admins_set_up_channels_and_see_the_secret_once(world: World) -> None:
    url = "/acme/-/alert-channels/"
    b = world.owner.browser()
    r = b.post(url, {"action": "create", "name": "ops", "kind": "webhook", "url": "https://example.com/hook"})
    assert r.status_code == 302
    first = b.get(url).content.decode()
    assert Channel.objects.get().secret in first
    assert Channel.objects.get().secret not in b.get(url).content.decode()
    refused = b.post(url, {"action": "create", "name": "lan", "kind": "webhook", "url": "http://10.1.2.3/"})
    assert refused.status_code == 400 and b"private" in refused.content
    b.post(url, {"action": "create", "name": "team", "kind": "email", "emails": "a@example.com, b@example.com"})
    assert Channel.objects.get(name="team").emails == ["a@example.com", "b@example.com"]
    assert world.member.browser().get(url).status_code == 403
    assert world.outsider.browser().get(url).status_code == 404


def test_the_bell_counts_unread_notifications_and_the_page_marks_them_read(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    rule(world.member, kind="agent_alert")
    c = world.member.client()
    c.put(f"{P}/runs/r1", {}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(2):
            c.post(f"{P}/runs/r1/alerts", {"id": f"a{n}", "title": f"alert {n}"}, format="json")
    b = world.viewer.browser()
    home = b.get("/acme/secret/").content.decode()
    assert 'data-testid="nav-unread">2<' in home
    page = b.get("/notifications/").content.decode()
    assert page.count('data-read="no"') == 2 and "alert 1" in page
    b.post("/notifications/", {})
    assert 'data-read="no"' not in b.get("/notifications/").content.decode()
    assert "nav-unread" not in b.get("/acme/secret/").content.decode()
    assert world.anonymous.browser().get("/notifications/").status_code == 302


def test_each_person_chooses_how_a_project_notifies_them(world: World) -> None:
    from apps.alerts.models import Subscription

    b = world.viewer.browser()
    assert b'data-testid="subscription"' in b.get(PAGE).content
    assert b.post(PAGE, {"action": "subscribe", "email": "on", "snooze_minutes": "30"}).status_code == 302
    sub = Subscription.objects.get(user=world.viewer.user)
    assert (sub.in_app, sub.email, sub.snoozed_until is not None) == (False, True, True)
    assert b"snoozed until" in b.get(PAGE).content
    assert not Subscription.objects.filter(user=world.member.user).exists()  # their own choice only


def test_members_mute_a_run_from_the_page(world: World) -> None:
    from tests.factories import run_create

    run_create(world.private, "r9")
    b = world.member.browser()
    assert b.post(PAGE, {"action": "mute_run", "run_id": "r9", "minutes": "30"}).status_code == 302
    assert "r9 until" in b.get(PAGE).content.decode()
    assert b.post(PAGE, {"action": "mute_run", "run_id": "nope"}).status_code == 404
    assert world.viewer.browser().post(PAGE, {"action": "unmute_run", "run_id": "r9"}).status_code == 403
    b.post(PAGE, {"action": "unmute_run", "run_id": "r9"})
    assert "r9 until" not in b.get(PAGE).content.decode()
