"""A public report on a private project shows its panels and opens nothing else of the project."""

from __future__ import annotations

import hashlib

import pytest

from tests.factories import World, world_create
from tests.reports.helpers import browser, line_block, report_make, runs_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    w = world_create()
    runs_seed(w.private)
    w.owner.client().patch("/api/v1/projects/acme/secret/runs/run0", {"group": "ddp-1"}, format="json")
    body = b"weights"
    w.owner.client().put("/api/v1/projects/acme/secret/runs/run0/files/model.pt", data=body,
                         content_type="application/octet-stream", HTTP_X_CAIRN_SHA256=hashlib.sha256(body).hexdigest())
    return w


def published(world: World) -> str:
    blocks = [
        {"id": "t1", "type": "text", "text": "Loss of two runs."},
        line_block("c1", ["loss"], runs=["run0", "run1"]),
        {"id": "b1", "type": "panel", "panel": {"kind": "bar", "title": "acc", "field": "summary.best_acc",
                                                 "runset": {"runs": ["run0", "run1"]}}},
    ]
    return str(report_make(world, publish="public", blocks=blocks)["id"])


def test_an_anonymous_visitor_reads_the_report_and_its_charts(world: World) -> None:
    key = published(world)
    page = browser(world.anonymous).get(f"/r/{key}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Findings" in html and "Loss of two runs." in html
    assert "<svg" in html  # the bar chart, drawn on the server
    assert page["X-Robots-Tag"] == "noindex"
    data = world.anonymous.client().get(f"/api/v1/reports/{key}/data").json()["panels"]
    line = data["c1"]
    assert [r["id"] for r in line["runs"]] == ["run0", "run1"]
    for run in line["runs"]:
        assert set(run) == {"id", "name", "series"}
        assert set(run["series"]) == {"loss"}
        assert len(run["series"]["loss"]["steps"]) == 50
    assert [(r["id"], r["value"]) for r in data["b1"]["runs"]] == [("run0", 0.5), ("run1", 0.6)]
    assert set(data["b1"]["runs"][0]) == {"id", "name", "value"}


GUESSES = [
    "/api/v1/projects/acme/secret",
    "/api/v1/projects/acme/secret/runs/",
    "/api/v1/projects/acme/secret/runs/run0",
    "/api/v1/projects/acme/secret/runs/run2",
    "/api/v1/projects/acme/secret/runs/run0/history",
    "/api/v1/projects/acme/secret/runs/run0/history?keys=secret_metric",
    "/api/v1/projects/acme/secret/runs/run0/history/export",
    "/api/v1/projects/acme/secret/runs/run0/console",
    "/api/v1/projects/acme/secret/runs/run0/files/",
    "/api/v1/projects/acme/secret/runs/run0/files/model.pt",
    "/api/v1/projects/acme/secret/history?runs=run0,run1,run2&keys=secret_metric",
    "/api/v1/projects/acme/secret/keys",
    "/api/v1/projects/acme/secret/workspace",
    "/api/v1/projects/acme/secret/table/rows",
    "/api/v1/projects/acme/secret/table/export.csv",
    "/api/v1/projects/acme/secret/groups/ddp-1/history",
    "/api/v1/projects/acme/secret/reports",
    "/api/v1/projects/ACME/Secret/runs/run0",
]
PAGES = ["/acme/secret/", "/acme/secret/runs/run0", "/acme/secret/runs/run2", "/acme/secret/compare/?runs=run0,run1",
         "/acme/secret/groups/ddp-1/", "/acme/secret/reports/", "/acme/-/members/"]


def test_nothing_else_of_the_private_project_is_reachable(world: World) -> None:
    key = published(world)
    anonymous, mallory = world.anonymous, world.outsider
    for who in (anonymous, mallory):
        for url in GUESSES:
            assert who.client().get(url).status_code == 404, f"{who.name} {url}"
        for url in PAGES:
            # Not even a sign-in redirect for anonymous: with no access at all, a page does not exist.
            assert browser(who).get(url).status_code == 404, f"{who.name} {url}"
        # Through the report itself: only its panels, only the published version.
        for url in (f"/api/v1/reports/{key}/panels/t1/data", f"/api/v1/reports/{key}/panels/nope/data",
                    f"/api/v1/reports/{key}/panels/c1/data?draft=1", f"/api/v1/reports/{key}/data?draft=1",
                    f"/api/v1/reports/{key}/versions", f"/api/v1/reports/{key}/versions/1",
                    f"/api/v1/reports/{key}/comments", f"/api/v1/reports/{key}/export.html?draft=1"):
            assert who.client().get(url).status_code == 404, f"{who.name} {url}"
        for method, url in (("patch", f"/api/v1/reports/{key}"), ("delete", f"/api/v1/reports/{key}"),
                            ("post", f"/api/v1/reports/{key}/publish"), ("post", f"/api/v1/reports/{key}/comments")):
            assert getattr(who.client(), method)(url, {}, format="json").status_code == 404, f"{who.name} {method} {url}"
        # A reader from outside learns nothing more than 404 of the editor either.
        assert browser(who).get(f"/acme/secret/reports/{key}/edit").status_code == 404, f"{who.name} edit"
        listed = who.client().get("/api/v1/orgs/acme/projects").json()["results"]
        assert "secret" not in [p["slug"] for p in listed]
    # Asking the data endpoint for more blocks than the report has yields nothing more.
    data = anonymous.client().get(f"/api/v1/reports/{key}/data?blocks=c1,x,../c1,t1").json()["panels"]
    assert list(data) == ["c1"]


def test_the_draft_does_not_leak_through_the_public_version(world: World) -> None:
    key = published(world)
    world.owner.client().patch(f"/api/v1/reports/{key}", {"blocks": [
        line_block("c1", ["secret_metric"], filter=""), line_block("c9", ["secret_metric"], filter="")]}, format="json")
    anon = world.anonymous.client()
    data = anon.get(f"/api/v1/reports/{key}/data").json()["panels"]
    assert set(data) == {"c1", "b1"}
    assert [r["id"] for r in data["c1"]["runs"]] == ["run0", "run1"]
    assert all(set(r["series"]) == {"loss"} for r in data["c1"]["runs"])
    assert anon.get(f"/api/v1/reports/{key}/panels/c9/data").status_code == 404
    html = anon.get(f"/api/v1/reports/{key}/export.html").content.decode()
    assert "run-2" not in html and "secret_metric" not in html
    page = browser(world.anonymous).get(f"/r/{key}/").content.decode()
    assert "run-2" not in page and "secret_metric" not in page and "/acme/secret/" not in page


def test_a_run_set_cannot_reach_another_organisation(world: World) -> None:
    from apps.runs.models import Project

    evil = Project.objects.create(organization=world.other_org, slug="loot")
    runs_seed(evil, n=1)
    key = report_make(world, publish="public", blocks=[line_block("c1", ["loss"], project="loot", filter="")])["id"]
    assert world.anonymous.client().get(f"/api/v1/reports/{key}/data").json()["panels"]["c1"]["runs"] == []
