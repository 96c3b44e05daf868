"""A frozen report shows the numbers of its publication; a live one follows its runs."""

from __future__ import annotations

from typing import Any

import pytest

from apps.runs.models import Run
from tests.factories import World, world_create
from tests.reports.helpers import line_block, report_make, runs_seed

pytestmark = pytest.mark.django_db


def blocks() -> list[dict[str, Any]]:
    return [
        line_block("c1", ["loss"], filter='state = "finished"'),
        {"id": "b1", "type": "panel", "panel": {"kind": "bar", "title": "", "field": "summary.best_acc",
                                                 "runset": {"filter": ""}}},
        {"id": "tb", "type": "panel", "panel": {"kind": "table", "title": "", "fields": ["config.lr", "summary.best_acc"],
                                                 "runset": {"runs": ["run0", "run1", "run2"]}}},
    ]


def change_the_runs(w: World) -> None:
    from apps.runs import services as run_services
    from apps.runs.models import Stream

    run0 = Run.objects.get(project=w.private, run_id="run0")
    run0.summary = {"best_acc": 0.01}
    run0.save()
    run_services.stream_append(run=run0, stream=Stream.HISTORY, offset=50,
                               records=[{"step": 50 + s, "time": 1_700_000_100.0, "data": {"loss": 100.0}} for s in range(10)])
    Run.objects.filter(project=w.private, run_id="run1").delete()
    runs_seed_extra = Run.objects.create(project=w.private, run_id="late", name="late", state="finished",
                                         summary={"best_acc": 0.99})
    assert runs_seed_extra.pk


def test_a_frozen_report_shows_the_same_numbers_after_its_runs_change_or_go() -> None:
    w = world_create()
    runs_seed(w.private)
    key = report_make(w, publish="public", frozen=True, blocks=blocks())["id"]
    anon = w.anonymous.client()
    before = anon.get(f"/api/v1/reports/{key}/data").content
    export_before = anon.get(f"/api/v1/reports/{key}/export.html").content
    change_the_runs(w)
    assert anon.get(f"/api/v1/reports/{key}/data").content == before
    assert anon.get(f"/api/v1/reports/{key}/export.html").content == export_before
    # Every run deleted, and still readable.
    Run.objects.filter(project=w.private).delete()
    assert anon.get(f"/api/v1/reports/{key}/data").content == before
    assert anon.get(f"/api/v1/reports/{key}/panels/c1/data").json()["runs"][1]["id"] == "run1"
    assert anon.get(f"/r/{key}/").status_code == 200


def test_a_live_report_follows_its_runs() -> None:
    w = world_create()
    runs_seed(w.private)
    key = report_make(w, publish="org", frozen=False, blocks=blocks())["id"]
    carol = w.viewer.client()
    bar = carol.get(f"/api/v1/reports/{key}/panels/b1/data").json()
    assert {r["id"] for r in bar["runs"]} == {"run0", "run1", "run2"}
    change_the_runs(w)
    bar = carol.get(f"/api/v1/reports/{key}/panels/b1/data").json()
    assert {r["id"]: r["value"] for r in bar["runs"]} == {"late": 0.99, "run2": 0.7, "run0": 0.01}
    line = carol.get(f"/api/v1/reports/{key}/panels/c1/data").json()
    run0 = next(r for r in line["runs"] if r["id"] == "run0")
    assert run0["series"]["loss"]["steps"][-1] == 59
    table = carol.get(f"/api/v1/reports/{key}/panels/tb/data").json()
    assert [r["id"] for r in table["runs"]] == ["run0", "run2"]


def test_publishing_again_keeps_the_history_of_versions() -> None:
    w = world_create()
    runs_seed(w.private)
    key = report_make(w, publish="org", frozen=True, blocks=blocks())["id"]
    w.member.client().patch(f"/api/v1/reports/{key}", {"title": "Second take"}, format="json")
    assert w.member.client().post(f"/api/v1/reports/{key}/publish", {"visibility": "org"}, format="json").status_code == 201
    versions = w.viewer.client().get(f"/api/v1/reports/{key}/versions").json()["results"]
    assert [(v["number"], v["title"], v["published_by"], v["frozen"], v["current"]) for v in versions] == [
        (2, "Second take", "bob", False, True), (1, "Findings", "alice", True, False)]
    assert w.viewer.client().get(f"/api/v1/reports/{key}/versions/1").json()["title"] == "Findings"
