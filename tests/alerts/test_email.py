"""Email reaches a real local SMTP server (aiosmtpd in its own process) through Django's SMTP backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.alerts.helpers import P, channel, deliveries, log, rule
from tests.alerts.receiver import SmtpSink
from tests.factories import World
from tests.serverproc import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(tmp_path: Path, settings: Any) -> Iterator[SmtpSink]:
    sink = SmtpSink(tmp_path, free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.DEFAULT_FROM_EMAIL = "cairn@example.com"
    yield sink
    sink.stop()


def test_a_shared_list_and_a_person_who_chose_email_get_the_mail(
    world: World, smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    world.member.user.email = "bob@example.com"
    world.member.user.save()
    team = channel(world.owner, name="team", kind="email", emails=["ml-team@example.com", "oncall@example.com"])
    rule(world.member, kind="metric", name="diverged", condition="loss > 5", channels=[team["id"]])
    sub = world.member.client().put(f"{P}/alert-subscription", {"email": True, "in_app": False}, format="json")
    assert sub.status_code == 200 and sub.json()["email"] is True
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"loss": 9.0}])
    mails = smtp.messages(2)
    by_rcpt = {tuple(sorted(to)): body for to, body in mails}
    assert set(by_rcpt) == {("ml-team@example.com", "oncall@example.com"), ("bob@example.com",)}
    body = by_rcpt[("bob@example.com",)]
    assert "Subject: [Cairn] diverged: loss > 5 in run r1" in body and "loss = 9 at step 0" in body
    assert sorted(d["state"] for d in deliveries(world.member)) == ["sent", "sent"]


def test_an_unreachable_mail_server_fails_after_its_tries(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.CAIRN_ALERT_DELIVERY_TRIES = 2
    team = channel(world.owner, name="team", kind="email", emails=["ml-team@example.com"])
    rule(world.member, kind="metric", condition="loss > 5", channels=[team["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"loss": 9.0}])
    [d] = deliveries(world.member)
    assert (d["state"], d["attempts"]) == ("failed", 2) and "ConnectionRefusedError" in d["last_error"]


def test_a_person_without_an_address_is_refused_not_retried(
    world: World, smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    rule(world.member, kind="metric", condition="loss > 5")
    world.viewer.client().put(f"{P}/alert-subscription", {"email": True}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"loss": 9.0}])
    [d] = deliveries(world.member)
    assert (d["state"], d["attempts"], d["user"]) == ("refused", 1, "carol")
    assert "no email address" in d["last_error"]
