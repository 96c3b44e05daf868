"""Webhooks go to public http(s) addresses only, unless the operator allows a private one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.alerts.helpers import channel, deliveries, log, rule
from tests.alerts.receiver import Receiver
from tests.factories import World

pytestmark = pytest.mark.django_db
C = "/api/v1/orgs/acme/alert-channels"


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8000/",
        "http://192.168.1.1/",
        "http://[::ffff:10.0.0.1]/",
        "ftp://example.com/x",
        "file:///etc/passwd",
        "http://user:pw@example.com/",
        "http:///nohost",
        "http://exa mple.com/",
    ],
)
def test_a_private_or_odd_url_is_refused(world: World, url: str) -> None:
    r = world.owner.client().post(C, {"name": "x", "kind": "webhook", "url": url}, format="json")
    assert (r.status_code, r.json()["field"]) == (400, "url")


def test_loopback_is_refused_unless_allowed(world: World, settings: Any) -> None:
    settings.CAIRN_ALERT_WEBHOOK_ALLOW = []
    r = world.owner.client().post(C, {"name": "x", "kind": "webhook", "url": "http://127.0.0.1:9/"}, format="json")
    assert r.status_code == 400 and "CAIRN_ALERT_WEBHOOK_ALLOW" in r.json()["error"]


def test_a_name_that_resolves_to_a_private_address_is_refused_when_sending(
    world: World, receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # `localhost` passes the check at creation (a name), but resolves to loopback when sent.
    hook = channel(world.owner, url=receiver.url.replace("127.0.0.1", "localhost"))
    settings.CAIRN_ALERT_WEBHOOK_ALLOW = []
    rule(world.member, kind="metric", condition="loss > 1", channels=[hook["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"loss": 2.0}])
    [d] = deliveries(world.member)
    assert d["state"] == "refused" and "private, loopback or reserved" in d["last_error"]
    assert d["attempts"] == 1 and receiver.got == []


def test_redirects_are_not_followed(world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any) -> None:
    receiver.status = 302
    hook = channel(world.owner, url=receiver.url)
    rule(world.member, kind="metric", condition="loss > 1", channels=[hook["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"loss": 2.0}])
    [d] = deliveries(world.member)
    assert d["response_status"] == 302 and d["state"] == "failed"
