"""Validation and scoring: finite required metrics, refusals with a reason, a frozen score."""

from __future__ import annotations

import math

import pytest
from django.test import Client

from apps.benchmarks.models import Submission
from apps.runs.models import RunState
from tests.benchmarks.conftest import Lab, benchmark_create, finished_run, leaderboard, submit

# transaction=True: on_commit callbacks (queueing the task) run, and the task runs eagerly.
pytestmark = pytest.mark.django_db(transaction=True)


def test_it_scores_a_finished_run_from_its_summary(lab: Lab) -> None:
    b = benchmark_create(lab, secondary_metrics=[{"name": "Top-5", "key": "top5"}])
    run = finished_run(lab.private, "r1", {"acc": 0.91, "top5": 0.99, "loss": 0.3})
    r = submit(lab.member, b, run)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "accepted" and body["score"] == 0.91
    assert body["metrics"] == {"top5": 0.99}
    assert leaderboard(lab.anonymous, b)["results"][0]["score"] == 0.91


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (math.nan, "not a finite number"),
        (math.inf, "not a finite number"),
        (-math.inf, "not a finite number"),
        ("high", "is not a number"),
        (True, "is not a number"),
        (None, "is not a number"),
    ],
)
def test_it_refuses_a_score_that_is_not_a_finite_number(lab: Lab, value: object, reason: str) -> None:
    b = benchmark_create(lab)
    run = finished_run(lab.private, "r1", {"acc": value})
    body = submit(lab.member, b, run).json()
    assert body["status"] == "refused"
    assert reason in body["reason"]
    assert leaderboard(lab.owner, b)["count"] == 0


def test_it_refuses_a_missing_metric_and_names_it(lab: Lab) -> None:
    b = benchmark_create(lab, secondary_metrics=["top5"])
    run = finished_run(lab.private, "r1", {"acc": 0.9})
    body = submit(lab.member, b, run).json()
    assert body["status"] == "refused"
    assert "top5" in body["reason"]


@pytest.mark.parametrize("state", [RunState.RUNNING, RunState.FAILED, RunState.CRASHED])
def test_it_refuses_a_run_that_did_not_finish(lab: Lab, state: str) -> None:
    b = benchmark_create(lab)
    run = finished_run(lab.private, "r1", {"acc": 0.9})
    run.state = state
    run.save()
    body = submit(lab.member, b, run).json()
    assert body["status"] == "refused"
    assert f"is {state}, not finished" in body["reason"]


def test_the_reason_shows_on_the_leaderboard_page_to_the_submitter(lab: Lab) -> None:
    b = benchmark_create(lab)
    run = finished_run(lab.private, "r1", {"acc": math.nan})
    submit(lab.member, b, run)
    browser = Client()
    browser.force_login(lab.member.user)
    page = browser.get("/benchmarks/lab/imagenet/")
    assert page.status_code == 200
    assert b"not a finite number" in page.content


def test_the_score_stays_when_the_run_is_resumed_or_its_summary_edited(lab: Lab) -> None:
    b = benchmark_create(lab)
    run = finished_run(lab.private, "r1", {"acc": 0.5}, config={"lr": 0.1})
    submit(lab.member, b, run)
    url = "/api/v1/projects/acme/secret/runs/r1"
    c = lab.member.client()
    # Resume, log a better value, edit the summary by hand, finish again.
    assert c.put(url, {"resume": "must", "config": {"lr": 0.5}}, format="json").status_code == 200
    r = c.post(f"{url}/streams/history", {"offset": 0, "records": [{"step": 0, "time": 1.0, "data": {"acc": 0.99}}]},
               format="json")
    assert r.status_code == 200
    assert c.patch(url, {"summary": {"acc": 0.97}}, format="json").status_code == 200
    assert c.post(f"{url}/finish", {"exit_code": 0}, format="json").status_code == 200
    entry = leaderboard(lab.anonymous, b)["results"][0]
    assert entry["score"] == 0.5
    detail = lab.anonymous.client().get(f"/api/v1/benchmarks/lab/imagenet/submissions/{entry['id']}").json()
    assert detail["summary"]["acc"] == 0.5 and detail["config"] == {"lr": 0.1}
    assert Submission.objects.get().score == 0.5


def test_a_run_is_entered_when_it_finishes_if_its_create_named_a_benchmark(lab: Lab) -> None:
    b = benchmark_create(lab)
    c = lab.member.client()
    url = "/api/v1/projects/acme/secret/runs/auto"
    assert c.put(url, {"benchmark": "lab/imagenet", "config": {"lr": 3e-4}}, format="json").status_code == 201
    s = Submission.objects.get()
    assert s.status == "waiting"
    assert leaderboard(lab.anonymous, b)["count"] == 0
    assert c.patch(url, {"summary": {"acc": 0.8}}, format="json").status_code == 200
    assert c.post(f"{url}/finish", {"exit_code": 0}, format="json").status_code == 200
    s.refresh_from_db()
    assert s.status == "accepted" and s.score == 0.8 and s.config == {"lr": 3e-4}
    # Resuming with the same benchmark does not enter it twice.
    assert c.put(url, {"benchmark": "lab/imagenet", "resume": "must"}, format="json").status_code == 200
    assert Submission.objects.count() == 1


def test_a_failed_run_named_for_a_benchmark_is_refused_with_the_reason(lab: Lab) -> None:
    benchmark_create(lab)
    c = lab.member.client()
    url = "/api/v1/projects/acme/secret/runs/bad"
    c.put(url, {"benchmark": "lab/imagenet"}, format="json")
    c.post(f"{url}/finish", {"exit_code": 1}, format="json")
    s = Submission.objects.get()
    assert s.status == "refused" and "failed" in s.reason


def test_a_run_named_for_a_benchmark_that_goes_silent_is_refused_when_marked_crashed(lab: Lab) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from apps.runs.models import Run
    from apps.runs.tasks import mark_dead_runs

    benchmark_create(lab)
    c = lab.member.client()
    c.put("/api/v1/projects/acme/secret/runs/silent", {"benchmark": "lab/imagenet"}, format="json")
    Run.objects.filter(run_id="silent").update(heartbeat_at=timezone.now() - timedelta(hours=1))
    mark_dead_runs()
    assert Run.objects.get(run_id="silent").state == RunState.CRASHED
    s = Submission.objects.get()
    assert s.status == "refused" and "crashed" in s.reason


def test_an_unknown_benchmark_in_a_create_does_not_fail_the_run(lab: Lab) -> None:
    r = lab.member.client().put("/api/v1/projects/acme/secret/runs/x", {"benchmark": "lab/nope"}, format="json")
    assert r.status_code == 201
    assert not Submission.objects.exists()


def test_a_run_cannot_be_submitted_twice_until_withdrawn(lab: Lab) -> None:
    b = benchmark_create(lab)
    run = finished_run(lab.private, "r1", {"acc": 0.5})
    first = submit(lab.member, b, run).json()
    assert submit(lab.member, b, run).status_code == 409
    lab.member.client().post(f"/api/v1/benchmarks/lab/imagenet/submissions/{first['id']}/withdraw")
    assert submit(lab.member, b, run).status_code == 201
