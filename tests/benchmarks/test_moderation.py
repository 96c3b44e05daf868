"""Moderation by the owner's admins only; withdrawal by the submitting organisation."""

from __future__ import annotations

import pytest

from tests.benchmarks.conftest import Lab, benchmark_create, finished_run, leaderboard, submit
from tests.factories import Person

pytestmark = pytest.mark.django_db(transaction=True)

BASE = "/api/v1/benchmarks/lab/imagenet/submissions"


def moderate(who: Person, submission_id: int, action: str, reason: str = "") -> int:
    r = who.client().post(f"{BASE}/{submission_id}/moderate", {"action": action, "reason": reason}, format="json")
    return int(r.status_code)


def test_with_approval_on_an_entry_shows_only_once_an_owner_admin_approves(lab: Lab) -> None:
    b = benchmark_create(lab, requires_approval=True)
    entry = submit(lab.member, b, finished_run(lab.private, "r1", {"acc": 0.9})).json()
    assert entry["status"] == "pending"
    assert leaderboard(lab.anonymous, b)["count"] == 0
    # Not the owner's members, not the submitting organisation's admin, not outsiders.
    for who in (lab.oscar, lab.owner, lab.outsider):
        assert moderate(who, entry["id"], "approve") == 403, who.name
    assert moderate(lab.anonymous, entry["id"], "approve") == 401
    assert moderate(lab.olivia, entry["id"], "approve") == 200
    assert leaderboard(lab.anonymous, b)["results"][0]["id"] == entry["id"]


def test_an_owner_admin_rejects_with_a_reason_the_submitter_sees(lab: Lab) -> None:
    b = benchmark_create(lab, requires_approval=True)
    entry = submit(lab.member, b, finished_run(lab.private, "r1", {"acc": 0.9})).json()
    assert moderate(lab.olivia, entry["id"], "reject", "trained on the test set") == 200
    mine = lab.member.client().get(f"{BASE}/").json()["results"]
    assert [(s["status"], s["reason"]) for s in mine] == [("rejected", "trained on the test set")]
    assert leaderboard(lab.olivia, b)["count"] == 0


def test_hiding_needs_a_reason_and_takes_the_entry_off(lab: Lab) -> None:
    b = benchmark_create(lab)
    entry = submit(lab.member, b, finished_run(lab.private, "r1", {"acc": 0.9})).json()
    assert moderate(lab.olivia, entry["id"], "hide") == 400
    for who in (lab.oscar, lab.owner, lab.member, lab.outsider):
        assert moderate(who, entry["id"], "hide", "no") == 403, who.name  # they see it: 403, not 404
    assert moderate(lab.anonymous, entry["id"], "hide", "no") == 401
    assert moderate(lab.olivia, entry["id"], "hide", "duplicate of #1") == 200
    assert leaderboard(lab.anonymous, b)["count"] == 0
    # Gone for the public, still there for its submitter, with the reason.
    assert lab.anonymous.client().get(f"{BASE}/{entry['id']}").status_code == 404
    detail = lab.member.client().get(f"{BASE}/{entry['id']}").json()
    assert detail["status"] == "hidden" and detail["reason"] == "duplicate of #1"
    assert moderate(lab.olivia, entry["id"], "unhide") == 200
    assert leaderboard(lab.anonymous, b)["count"] == 1


def test_a_withdrawn_submission_leaves_the_leaderboard(lab: Lab) -> None:
    b = benchmark_create(lab)
    keep = submit(lab.member, b, finished_run(lab.private, "r1", {"acc": 0.5})).json()
    gone = submit(lab.member, b, finished_run(lab.private, "r2", {"acc": 0.9})).json()
    c = lambda who: who.client()  # noqa: E731
    # The owner's admin and the submitting organisation's viewer may not withdraw it.
    assert c(lab.olivia).post(f"{BASE}/{gone['id']}/withdraw").status_code == 403
    assert c(lab.viewer).post(f"{BASE}/{gone['id']}/withdraw").status_code == 403
    assert c(lab.anonymous).post(f"{BASE}/{gone['id']}/withdraw").status_code == 401
    assert c(lab.member).post(f"{BASE}/{gone['id']}/withdraw").json()["status"] == "withdrawn"
    assert [e["id"] for e in leaderboard(lab.anonymous, b)["results"]] == [keep["id"]]
    assert c(lab.anonymous).get(f"{BASE}/{gone['id']}").status_code == 404


def test_submitting_needs_write_access_to_the_run(lab: Lab) -> None:
    b = benchmark_create(lab)
    run = finished_run(lab.private, "r1", {"acc": 0.5})
    assert submit(lab.viewer, b, run).status_code == 403  # carol sees the project, cannot write
    assert submit(lab.outsider, b, run).status_code == 404  # mallory does not see it
    assert submit(lab.olivia, b, run).status_code == 404  # owning the benchmark gives nothing of acme's
    assert submit(lab.anonymous, b, run).status_code == 404
    assert leaderboard(lab.olivia, b)["count"] == 0


def test_only_the_owners_admins_create_and_edit_benchmarks(lab: Lab) -> None:
    body = {"org": "lab", "slug": "b2", "metric_key": "acc"}
    assert lab.oscar.client().post("/api/v1/benchmarks/", body, format="json").status_code == 403
    assert lab.member.client().post("/api/v1/benchmarks/", body, format="json").status_code == 404
    b = benchmark_create(lab)
    url = "/api/v1/benchmarks/lab/imagenet"
    assert lab.oscar.client().patch(url, {"name": "x"}, format="json").status_code == 403
    assert lab.anonymous.client().patch(url, {"name": "x"}, format="json").status_code == 401
    assert lab.olivia.client().patch(url, {"name": "ImageNet"}, format="json").json()["name"] == "ImageNet"
    submit(lab.member, b, finished_run(lab.private, "r1", {"acc": 0.5}))
    # The scoring rules are fixed once runs are entered.
    assert lab.olivia.client().patch(url, {"direction": "lower"}, format="json").status_code == 409
