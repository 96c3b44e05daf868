"""The shared view of a submitted run shows the history as it was when submitted:
no key first logged later, no step past the submitted one (docs/leaderboards.md)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.runs.models import Run
from tests.benchmarks.conftest import Lab, benchmark_create, submit

pytestmark = pytest.mark.django_db(transaction=True)

BASE = "/api/v1/projects/acme/secret/runs"


def log(lab: Lab, run_id: str, offset: int, steps: range, keys: tuple[str, ...]) -> None:
    records = [{"step": s, "time": 1.0 + s, "data": {k: float(s) for k in keys}} for s in steps]
    r = lab.member.client().post(f"{BASE}/{run_id}/streams/history", {"offset": offset, "records": records}, format="json")
    assert r.status_code == 200, r.content


def shared(lab: Lab, entry_id: int, **params: Any) -> dict[str, Any]:
    r = lab.anonymous.client().get(f"/api/v1/benchmarks/lab/imagenet/submissions/{entry_id}/history", params)
    assert r.status_code == 200, r.content
    series: dict[str, Any] = r.json()["series"]
    return series


@pytest.mark.parametrize("submitted_steps", [10, 5000])  # few points, and more than one summary bucket holds
def test_history_logged_after_submitting_stays_out_of_the_shared_view(lab: Lab, submitted_steps: int) -> None:
    benchmark = benchmark_create(lab)
    c = lab.member.client()
    assert c.put(f"{BASE}/r1", {}, format="json").status_code == 201
    log(lab, "r1", 0, range(submitted_steps), ("loss",))
    assert c.patch(f"{BASE}/r1", {"summary": {"acc": 0.9}}, format="json").status_code == 200
    assert c.post(f"{BASE}/r1/finish", {"exit_code": 0}, format="json").status_code == 200
    entry = submit(lab.member, benchmark, Run.objects.get(run_id="r1")).json()
    assert entry["status"] == "accepted"
    before = shared(lab, entry["id"])
    assert list(before) == ["loss"] and before["loss"]["count"] == submitted_steps
    assert max(before["loss"]["max"]) == submitted_steps - 1  # each value is its step

    # The run is resumed and goes on: later steps of the same key, and a key first logged now.
    assert c.put(f"{BASE}/r1", {"resume": "must"}, format="json").status_code == 200
    log(lab, "r1", submitted_steps, range(submitted_steps, 2 * submitted_steps), ("loss", "late_metric"))

    after = shared(lab, entry["id"])
    assert list(after) == ["loss"]
    assert max(after["loss"]["max"]) == submitted_steps - 1 and after["loss"]["count"] == submitted_steps
    assert after == before
    assert shared(lab, entry["id"], keys="late_metric") == {}


def test_a_run_submitted_before_it_logged_any_history_shares_none(lab: Lab) -> None:
    benchmark = benchmark_create(lab)
    c = lab.member.client()
    assert c.put(f"{BASE}/r1", {"summary": {"acc": 0.9}}, format="json").status_code == 201
    assert c.post(f"{BASE}/r1/finish", {"exit_code": 0}, format="json").status_code == 200
    entry = submit(lab.member, benchmark, Run.objects.get(run_id="r1")).json()
    assert entry["status"] == "accepted"
    assert c.put(f"{BASE}/r1", {"resume": "must"}, format="json").status_code == 200
    log(lab, "r1", 0, range(10), ("loss",))
    assert shared(lab, entry["id"]) == {}


def test_an_entry_frozen_before_the_copies_existed_gets_its_own_up_to_its_step(lab: Lab) -> None:
    from apps.benchmarks.models import Submission, SubmissionSeries

    benchmark = benchmark_create(lab)
    c = lab.member.client()
    assert c.put(f"{BASE}/r1", {"summary": {"acc": 0.9}}, format="json").status_code == 201
    log(lab, "r1", 0, range(3000), ("loss",))
    assert c.post(f"{BASE}/r1/finish", {"exit_code": 0}, format="json").status_code == 200
    entry = submit(lab.member, benchmark, Run.objects.get(run_id="r1")).json()
    expected = shared(lab, entry["id"])
    # As an older version left it: frozen, its charts read from the live run.
    SubmissionSeries.objects.all().delete()
    Submission.objects.filter(pk=entry["id"]).update(series_frozen=False)
    assert c.put(f"{BASE}/r1", {"resume": "must"}, format="json").status_code == 200
    log(lab, "r1", 3000, range(3000, 9000), ("loss", "late_metric"))

    assert shared(lab, entry["id"]) == expected  # rebuilt from the chunks up to the submitted step
    assert SubmissionSeries.objects.filter(submission_id=entry["id"]).count() == 1
