"""A threshold crossed reaches a real local HTTP receiver, signed; a receiver that is down is retried, then shown failed."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from apps.alerts.models import Notification
from tests.alerts.helpers import P, channel, deliveries, log, rule
from tests.alerts.receiver import Receiver
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_it_posts_a_signed_json_payload_when_a_value_crosses(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    hook = channel(world.owner, url=receiver.url)
    rule(world.member, kind="metric", name="diverged", condition="val/loss > 5", channels=[hook["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"val/loss": 1.0}, {"val/loss": 2.0}])
    assert receiver.got == []
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"val/loss": 3.0}, {"val/loss": 7.5}, {"val/loss": 9.0}], offset=2)
    [got] = receiver.wait(1)
    payload = got.json()
    assert payload["kind"] == "metric" and payload["rule"]["condition"] == "val/loss > 5"
    assert payload["run"]["id"] == "r1" and payload["project"] == "acme/secret"
    assert "7.5 at step 3" in payload["text"]
    mac = hmac.new(hook["secret"].encode(), got.headers["X-Cairn-Timestamp"].encode() + b"." + got.body, hashlib.sha256)
    assert got.headers["X-Cairn-Signature"] == "sha256=" + mac.hexdigest()
    assert got.headers["X-Cairn-Delivery"] == str(payload["delivery_id"])
    [d] = deliveries(world.member)
    assert (d["state"], d["attempts"], d["response_status"]) == ("sent", 1, 200)
    # Members are told in the app by default: the owner, the member and the viewer.
    assert Notification.objects.filter(event__rule__project=world.private).count() == 3
    # Still past the threshold: the rule fired for this run once, not on every batch.
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"val/loss": 10.0}], offset=5)
    assert len(receiver.wait(2, timeout=0.5)) == 1


def test_nan_and_system_metrics(world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any) -> None:
    hook = channel(world.owner, url=receiver.url, kind="slack")
    rule(world.member, kind="metric", condition="loss is NaN", channels=[hook["id"]])
    rule(world.member, kind="metric", condition="system/gpu.0.temp > 85", channels=[hook["id"]])
    c = world.member.client()
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"loss": 1.0}, {"loss": float("nan")}])
        r = c.post(f"{P}/runs/r1/streams/system", {"offset": 0, "records": [{"time": 5.0, "data": {"gpu.0.temp": 90}}]},
                   format="json")
        assert r.status_code == 200
    texts = sorted(g.json()["text"] for g in receiver.wait(2))
    assert "loss is NaN" in texts[0] and "gpu.0.temp > 85" in texts[1]  # Slack's payload: one text


def test_a_receiver_that_is_down_is_retried_then_shown_failed(
    world: World, receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CAIRN_ALERT_DELIVERY_TRIES = 3
    receiver.status = 503
    hook = channel(world.owner, url=receiver.url)
    rule(world.member, kind="metric", condition="loss > 1", channels=[hook["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"loss": 2.0}])
    assert len(receiver.wait(3)) == 3  # every try reached it
    [d] = deliveries(world.member)
    assert (d["state"], d["attempts"], d["response_status"]) == ("failed", 3, 503)
    assert d["last_error"].startswith("HTTP 503: receiver says no") and len(d["response_excerpt"]) <= 300
    assert [x["id"] for x in world.member.client().get(f"{P}/alert-deliveries?state=failed").json()["results"]] == [d["id"]]
    # Up again: a retry from the deliveries list goes through.
    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        r = world.member.client().post(f"{P}/alert-deliveries/{d['id']}/retry")
    assert r.status_code == 200
    [d] = deliveries(world.member)
    assert (d["state"], d["attempts"]) == ("sent", 4)


def test_nothing_listens_on_the_port(world: World, settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.CAIRN_ALERT_DELIVERY_TRIES = 2
    dead = Receiver().start()
    url = dead.url
    dead.stop()
    hook = channel(world.owner, url=url)
    rule(world.member, kind="metric", condition="loss > 1", channels=[hook["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"loss": 2.0}])
    [d] = deliveries(world.member)
    assert (d["state"], d["attempts"]) == ("failed", 2)
    assert "refused" in d["last_error"].lower() or "connect" in d["last_error"].lower()
