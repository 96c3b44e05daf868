"""Run ends, agent alerts, finishes that beat the best: each alerts once; mutes, snoozes and rate limits hold."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.alerts.evaluation import stalled_check
from apps.alerts.models import Event, Notification
from apps.runs.models import Run
from apps.runs.services import runs_mark_crashed
from tests.alerts.helpers import P, channel, deliveries, log, rule
from tests.alerts.receiver import Receiver
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_a_crashed_run_alerts_once_however_often_it_is_reported(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    hook = channel(world.owner, url=receiver.url)
    rule(world.member, kind="run_failed", name="broke", channels=[hook["id"]])
    log(world.member, "r1", [{"loss": 1.0}])
    Run.objects.filter(run_id="r1").update(heartbeat_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert runs_mark_crashed(older_than_seconds=60) == 1
        assert runs_mark_crashed(older_than_seconds=60) == 0
        # The process says it failed after all: the same run's end, not a second alert.
        world.member.client().post(f"{P}/runs/r1/finish", {"exit_code": 1}, format="json")
    [got] = receiver.wait(1)
    assert got.json()["title"] == "broke: run r1 crashed"
    assert len(receiver.wait(2, timeout=0.3)) == 1


def test_a_failed_run_and_not_a_finished_one(world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any) -> None:
    hook = channel(world.owner, url=receiver.url)
    rule(world.member, kind="run_failed", states=["failed"], channels=[hook["id"]])
    c = world.member.client()
    with django_capture_on_commit_callbacks(execute=True):
        for run_id, code in (("ok", 0), ("bad", 3)):
            c.put(f"{P}/runs/{run_id}", {"name": run_id}, format="json")
            c.post(f"{P}/runs/{run_id}/finish", {"exit_code": code}, format="json")
    [got] = receiver.wait(1)
    assert got.json()["run"]["id"] == "bad" and "exit code 3" in got.json()["text"]


def test_a_finish_alerts_only_when_it_beats_the_projects_best(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    hook = channel(world.owner, url=receiver.url)
    c = world.member.client()

    def finish(run_id: str, acc: float) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            c.put(f"{P}/runs/{run_id}", {"summary": {"acc": acc}}, format="json")
            c.post(f"{P}/runs/{run_id}/finish", {"exit_code": 0}, format="json")

    finish("before", 0.8)  # finished before the rule: the best to beat
    rule(world.member, kind="run_finished", best_key="acc", best_goal="max", channels=[hook["id"]])
    finish("worse", 0.7)
    finish("better", 0.9)
    finish("same", 0.9)
    [got] = receiver.wait(1)
    assert got.json()["run"]["id"] == "better" and "was 0.8" in got.json()["text"]
    assert len(receiver.wait(2, timeout=0.3)) == 1


def test_agent_alerts_once_per_alert_and_merged_repeats_add_to_its_count(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    hook = channel(world.owner, url=receiver.url)
    rule(world.member, kind="agent_alert", min_level="WARN", channels=[hook["id"]])
    c = world.member.client()
    c.put(f"{P}/runs/r1", {"name": "r1"}, format="json")
    url = f"{P}/runs/r1/alerts"
    with django_capture_on_commit_callbacks(execute=True):
        c.post(url, {"id": "a1", "title": "Loss diverged", "level": "WARN", "count": 1}, format="json")
        # Repeats within wait_duration: the agent sends the same id with a higher count.
        c.post(url, {"id": "a1", "title": "Loss diverged", "level": "WARN", "count": 2}, format="json")
        c.post(url, {"id": "a1", "title": "Loss diverged", "level": "WARN", "count": 5}, format="json")
        c.post(url, {"id": "i1", "title": "just so you know", "level": "INFO"}, format="json")
    [got] = receiver.wait(1)
    assert (got.json()["title"], got.json()["level"]) == ("Loss diverged", "WARN")
    assert len(receiver.wait(2, timeout=0.3)) == 1
    assert c.get(url).json()["results"][-1]["count"] == 5


def test_one_organisations_rules_never_see_another_organisations_runs(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from apps.runs.models import Project

    Project.objects.create(organization=world.other_org, slug="secret", name="secret")
    theirs = "/api/v1/projects/evil/secret"
    hook = channel(world.outsider, org="evil", url=receiver.url)
    rule(world.outsider, project=theirs, kind="metric", condition="loss > 1", channels=[hook["id"]])
    rule(world.outsider, project=theirs, kind="run_failed", channels=[hook["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        log(world.member, "r1", [{"loss": 5.0}])  # acme's run, same project slug and key
        world.member.client().post(f"{P}/runs/r1/finish", {"exit_code": 1}, format="json")
    assert receiver.wait(1, timeout=0.5) == []
    assert not Event.objects.exists()
    assert world.outsider.client().get(f"{P}/alert-deliveries").status_code == 404
    assert world.outsider.client().get("/api/v1/notifications").json()["results"] == []


def test_mutes_snoozes_and_the_rate_limit(world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any) -> None:
    hook = channel(world.owner, url=receiver.url)
    made = rule(world.member, kind="agent_alert", max_per_hour=2, channels=[hook["id"]])
    c = world.member.client()
    c.put(f"{P}/runs/r1", {"name": "r1"}, format="json")

    def alert(n: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            c.post(f"{P}/runs/r1/alerts", {"id": f"a{n}", "title": f"alert {n}"}, format="json")

    for n in range(4):  # a loop of alert() calls: two sent, the rest held back
        alert(n)
    assert len(receiver.wait(2)) == 2
    assert sorted(Event.objects.values_list("suppressed", flat=True)) == ["", "", "rate limited", "rate limited"]
    Event.objects.all().delete()
    assert c.put(f"{P}/runs/r1/alert-mute", {"minutes": 60}, format="json").json()["muted"] is True
    alert(10)
    assert c.delete(f"{P}/runs/r1/alert-mute").status_code == 200
    c.patch(f"{P}/alert-rules/{made['id']}", {"snooze_minutes": 30}, format="json")
    alert(11)
    c.patch(f"{P}/alert-rules/{made['id']}", {"snooze_minutes": 0}, format="json")
    # The viewer snoozes the project for themselves only.
    world.viewer.client().put(f"{P}/alert-subscription", {"snooze_minutes": 60}, format="json")
    alert(12)
    assert sorted(Event.objects.values_list("suppressed", flat=True)) == ["", "rule snoozed", "run muted"]
    assert len(receiver.wait(3)) == 3
    latest = Event.objects.get(suppressed="")
    assert sorted(n.user.username for n in Notification.objects.filter(event=latest)) == ["alice", "bob"]
    assert [d["state"] for d in deliveries(world.member)] == ["sent"]  # the earlier ones went with their events


def test_notifications_are_listed_and_marked_read(world: World, django_capture_on_commit_callbacks: Any) -> None:
    rule(world.member, kind="agent_alert")
    c = world.member.client()
    c.put(f"{P}/runs/r1", {"name": "r1"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            c.post(f"{P}/runs/r1/alerts", {"id": f"a{n}", "title": f"alert {n}"}, format="json")
    got = world.viewer.client().get("/api/v1/notifications").json()
    assert got["unread"] == 3 and [n["title"] for n in got["results"]] == ["alert 2", "alert 1", "alert 0"]
    first = got["results"][0]["id"]
    assert world.viewer.client().post("/api/v1/notifications/read", {"ids": [first]}, format="json").json()["marked"] == 1
    assert world.outsider.client().post("/api/v1/notifications/read", {"ids": [first]}, format="json").json()["marked"] == 0
    assert world.viewer.client().get("/api/v1/notifications").json()["unread"] == 2
    assert world.viewer.client().post("/api/v1/notifications/read", {}, format="json").json()["marked"] == 2
    assert world.anonymous.client().get("/api/v1/notifications").status_code in (401, 403)


def test_a_run_that_stops_logging_is_reported_stalled_once(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    hook = channel(world.owner, url=receiver.url)
    rule(world.member, kind="run_stalled", minutes=10, channels=[hook["id"]])
    log(world.member, "r1", [{"loss": 1.0}])  # logged at time 1000: long ago
    log(world.member, "fresh", [{"loss": 1.0}])
    Run.objects.filter(run_id="fresh").update(created_at=timezone.now() - timedelta(minutes=5))
    Run.objects.filter(run_id="r1").update(created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert stalled_check() == 1
        assert stalled_check() == 0
    [got] = receiver.wait(1)
    assert got.json()["title"].endswith("run r1 stalled") and "no new history" in got.json()["text"]


def test_an_alias_moved_alerts_once_per_version_it_reaches(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from apps.artifacts.signals import alias_moved

    hook = channel(world.owner, url=receiver.url)
    rule(world.member, kind="alias_moved", artifact="model", alias="production", channels=[hook["id"]])

    def moved(artifact: str, alias: str, version_id: int, project_id: int | None = world.private.pk) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            alias_moved.send(sender=None, org_id=world.org.pk, project_id=project_id, artifact=artifact, alias=alias,
                             version_id=version_id, previous_version_id=None, actor_id=None)

    moved("model", "production", 7)
    moved("model", "production", 7)  # announced twice: one alert
    moved("model", "staging", 8)  # another alias
    moved("data", "production", 9)  # another artifact
    moved("model", "production", 10, project_id=world.public.pk)  # another project
    moved("model", "production", 11, project_id=None)  # a registry link
    [got] = receiver.wait(1)
    assert got.json()["title"].endswith("model:production moved") and "version 7" in got.json()["text"]
    assert len(receiver.wait(2, timeout=0.3)) == 1
