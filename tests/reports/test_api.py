"""The reports API: create, list, read, update, publish, comments; bad input named; the OpenAPI schema."""

from __future__ import annotations

import pytest

from tests.factories import World, world_create
from tests.reports.helpers import line_block, report_make, runs_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    w = world_create()
    runs_seed(w.private)
    return w


def test_it_creates_reads_updates_and_lists(world: World) -> None:
    report = report_make(world, by=world.member)
    assert report["visibility"] == "draft" and report["published"] is None and report["can_edit"]
    assert report["url"] == f"/acme/secret/reports/{report['id']}/"
    assert report["draft"]["blocks"][0]["html"] == "<h1>Results</h1>\n<p>Loss falls.</p>\n"
    bob = world.member.client()
    r = bob.patch(f"/api/v1/reports/{report['id']}", {"title": "New", "blocks": [line_block("x", ["acc"])]}, format="json")
    assert r.status_code == 200 and r.json()["draft"]["title"] == "New"
    published = bob.post(f"/api/v1/reports/{report['id']}/publish", {"visibility": "public"}, format="json").json()
    assert published["published"]["number"] == 1 and published["url"] == f"/r/{report['id']}/"
    listed = world.anonymous.client().get("/api/v1/projects/acme/open/reports").json()["results"]
    assert listed == []  # on another project
    assert world.anonymous.client().get("/api/v1/projects/acme/secret/reports").status_code == 404
    titles = [r["title"] for r in world.viewer.client().get("/api/v1/projects/acme/secret/reports").json()["results"]]
    assert titles == ["New"]
    assert bob.delete(f"/api/v1/reports/{report['id']}").status_code == 204
    assert bob.get(f"/api/v1/reports/{report['id']}").status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({}, "title"),
    ({"title": ""}, "title"),
    ({"title": "x", "blocks": {}}, "blocks"),
    ({"title": "x", "blocks": [{"id": "a", "type": "video"}]}, "blocks[0].type"),
    ({"title": "x", "blocks": [{"id": "a", "type": "text", "text": "x"}, {"id": "a", "type": "text", "text": "y"}]}, "blocks"),
    ({"title": "x", "blocks": [{"id": "a", "type": "panel", "panel": {"kind": "pie"}}]}, "blocks[0].panel.kind"),
    ({"title": "x", "blocks": [line_block("a", [])]}, "blocks[0].panel.keys"),
    ({"title": "x", "blocks": [line_block("a", ["loss"], filter="state = ")]}, "blocks[0].panel.runset.filter"),
    ({"title": "x", "blocks": [line_block("a", ["loss"], runs=["r"] * 51)]}, "blocks[0].panel.runset.runs"),
    ({"title": "x", "blocks": [{"id": "a", "type": "panel", "panel": {"kind": "bar", "field": "run.name", "runset": {}}}]},
     "blocks[0].panel.field"),
    ({"title": "x", "blocks": [{"id": "a", "type": "panel", "panel": {"kind": "parallel", "fields": ["config.a"], "runset": {}}}]},
     "blocks[0].panel.fields"),
])
def test_it_names_the_bad_field(world: World, body: dict[str, object], field: str) -> None:
    r = world.owner.client().post("/api/v1/projects/acme/secret/reports", body, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["field"] == field


def test_publishing_needs_a_known_visibility_and_draft_goes_back_to_the_author(world: World) -> None:
    report = report_make(world)
    alice = world.owner.client()
    assert alice.post(f"/api/v1/reports/{report['id']}/publish", {"visibility": "draft"}, format="json").status_code == 400
    assert alice.patch(f"/api/v1/reports/{report['id']}", {"visibility": "public"}, format="json").status_code == 400
    alice.post(f"/api/v1/reports/{report['id']}/publish", {"visibility": "org"}, format="json")
    assert world.member.client().patch(f"/api/v1/reports/{report['id']}", {"visibility": "draft"}, format="json").status_code == 400
    assert alice.patch(f"/api/v1/reports/{report['id']}", {"visibility": "draft"}, format="json").status_code == 200
    assert world.member.client().get(f"/api/v1/reports/{report['id']}").status_code == 404


def test_members_comment(world: World) -> None:
    report = report_make(world, publish="org")
    carol = world.viewer.client()
    r = carol.post(f"/api/v1/reports/{report['id']}/comments", {"body": "Nice **result**"}, format="json")
    assert r.status_code == 201
    assert r.json()["html"] == "<p>Nice <strong>result</strong></p>\n"
    assert carol.post(f"/api/v1/reports/{report['id']}/comments", {"body": " "}, format="json").status_code == 400
    listed = world.member.client().get(f"/api/v1/reports/{report['id']}/comments").json()["results"]
    assert [(c["author"], c["body"]) for c in listed] == [("carol", "Nice **result**")]


def test_indexing_is_off_unless_asked(world: World) -> None:
    from tests.reports.helpers import browser

    report = report_make(world, publish="public")
    page = browser(world.anonymous).get(f"/r/{report['id']}/")
    assert '<meta name="robots" content="noindex">' in page.content.decode()
    world.owner.client().patch(f"/api/v1/reports/{report['id']}", {"allow_indexing": True}, format="json")
    page = browser(world.anonymous).get(f"/r/{report['id']}/")
    assert "noindex" not in page.content.decode() and "X-Robots-Tag" not in page


def test_the_schema_lists_the_report_endpoints(world: World) -> None:
    schema = world.anonymous.client().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/projects/{org}/{project}/reports", "/api/v1/reports/{key}", "/api/v1/reports/{key}/publish",
                 "/api/v1/reports/{key}/data", "/api/v1/reports/{key}/comments"):
        assert path in text, path


def test_autosave_keeps_a_panel_being_set_up_and_publishing_refuses_it(world: World) -> None:
    report = report_make(world, blocks=[])
    alice = world.owner.client()
    half = {"id": "p", "type": "panel", "panel": {"kind": "bar", "title": "", "field": "summary.", "runset": {"filter": ""}}}
    r = alice.patch(f"/api/v1/reports/{report['id']}", {"blocks": [half]}, format="json")
    assert r.status_code == 200
    assert r.json()["draft"]["blocks"][0]["error"]["field"] == "blocks[0].panel.field"
    assert alice.get(f"/api/v1/reports/{report['id']}/data?draft=1").json() == {"panels": {}}
    from tests.reports.helpers import browser

    assert "Incomplete" in browser(world.owner).get(f"/acme/secret/reports/{report['id']}/?draft=1").content.decode()
    p = alice.post(f"/api/v1/reports/{report['id']}/publish", {"visibility": "org"}, format="json")
    assert p.status_code == 400 and p.json()["field"] == "blocks[0].panel.field"
    half["panel"]["field"] = "summary.best_acc"  # type: ignore[index]
    assert "error" not in alice.patch(f"/api/v1/reports/{report['id']}", {"blocks": [half]}, format="json").json()["draft"]["blocks"][0]
    assert alice.post(f"/api/v1/reports/{report['id']}/publish", {"visibility": "org"}, format="json").status_code == 201


def test_a_block_is_appended_to_the_draft_by_editors_only() -> None:
    w = world_create()
    runs_seed(w.private, steps=5)
    key = report_make(w, blocks=[])["id"]
    block = {"type": "panel", "panel": {"kind": "line", "title": "loss", "keys": ["loss"], "smoothing": 0.5, "log": True,
                                        "x": "time", "runset": {"runs": ["run0", "run1"]}}}
    r = w.owner.client().post(f"/api/v1/reports/{key}/blocks", {"block": block}, format="json")
    assert r.status_code == 201, r.content
    [got] = r.json()["draft"]["blocks"]
    assert got["id"] and got["panel"]["x"] == "time" and got["panel"]["runset"]["runs"] == ["run0", "run1"]
    series = w.owner.client().get(f"/api/v1/reports/{key}/panels/{got['id']}/data?draft=1").json()["runs"][0]["series"]
    assert set(series) == {"loss", "_time"} and series["_time"]["values"][1] == 1_700_000_001.0  # not rounded to float32
    bad = {**block, "panel": {**block["panel"], "x": "wall"}}
    assert w.owner.client().post(f"/api/v1/reports/{key}/blocks", {"block": bad}, format="json").status_code == 400
    assert w.outsider.client().post(f"/api/v1/reports/{key}/blocks", {"block": block}, format="json").status_code == 404


@pytest.mark.parametrize(("text", "word"), [(b'"\\ud800"', "surrogate"), (b'"a\\u0000"', "NUL")])
def test_text_no_database_can_store_is_refused_in_reports_and_comments(world: World, text: bytes, word: str) -> None:
    report = report_make(world, publish="org")
    key = report["id"]
    for method, path, body, field in [
        ("POST", f"/api/v1/reports/{key}/comments", b'{"body": %s}' % text, "body"),
        ("PATCH", f"/api/v1/reports/{key}", b'{"title": %s}' % text, "title"),
        ("POST", "/api/v1/projects/acme/secret/reports", b'{"title": "ok", "description": %s}' % text, "description"),
    ]:
        r = world.owner.client().generic(method, path, body, content_type="application/json")
        assert r.status_code == 400, (path, r.content)
        assert r.json()["field"] == field and word in r.json()["error"]
    assert world.member.client().get(f"/api/v1/reports/{key}/comments").json()["results"] == []
    assert world.member.client().get(f"/api/v1/reports/{key}").json()["title"] == "Findings"
    assert world.member.client().get("/api/v1/projects/acme/secret/reports").status_code == 200
