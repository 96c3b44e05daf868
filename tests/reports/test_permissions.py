"""Who reads, edits and comments on a report: draft, organisation and public reports × the five people."""

from __future__ import annotations

import pytest

from tests.factories import World, world_create
from tests.reports.helpers import browser, report_make, runs_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    w = world_create()
    runs_seed(w.private)
    return w


READERS = {
    "draft": {"alice"},
    "org": {"alice", "bob", "carol"},
    "public": {"alice", "bob", "carol", "mallory", "anonymous"},
}
EDITORS = {"draft": {"alice"}, "org": {"alice", "bob"}, "public": {"alice", "bob"}}


@pytest.mark.parametrize("visibility", ["draft", "org", "public"])
def test_it_enforces_the_matrix(world: World, visibility: str) -> None:
    report = report_make(world, publish=None if visibility == "draft" else visibility)
    key = report["id"]
    for person in world.everyone():
        c = person.client()
        can_read = person.name in READERS[visibility]
        can_edit = person.name in EDITORS[visibility]
        for url in (f"/api/v1/reports/{key}", f"/api/v1/reports/{key}/data", f"/api/v1/reports/{key}/panels/c1/data",
                    f"/api/v1/reports/{key}/export.html"):
            got = c.get(url).status_code
            assert got == (200 if can_read else 404), f"{person.name} GET {url}: {got}"
        page = browser(person).get(f"/acme/secret/reports/{key}/").status_code
        assert page == (200 if can_read else 404), f"{person.name} page: {page}"
        patch = c.patch(f"/api/v1/reports/{key}", {"title": "Renamed"}, format="json").status_code
        is_member = person.name in {"alice", "bob", "carol"} and can_read
        want = 200 if can_edit else 403 if is_member else 404
        assert patch == want, f"{person.name} PATCH: {patch}, want {want}"
        publish = c.post(f"/api/v1/reports/{key}/publish", {"visibility": "org"}, format="json").status_code
        assert publish == (201 if can_edit else want), f"{person.name} publish: {publish}"
        if can_edit and visibility == "public":  # put it back for the next person
            world.owner.client().post(f"/api/v1/reports/{key}/publish", {"visibility": "public"}, format="json")
        if can_edit and visibility == "draft":
            world.owner.client().patch(f"/api/v1/reports/{key}", {"visibility": "draft"}, format="json")
        comments = c.get(f"/api/v1/reports/{key}/comments").status_code
        assert comments == (200 if is_member else 404), f"{person.name} comments: {comments}"


def test_a_viewer_cannot_edit_or_create(world: World) -> None:
    report = report_make(world, publish="org")
    assert world.viewer.client().patch(f"/api/v1/reports/{report['id']}", {"title": "x"}, format="json").status_code == 403
    assert world.viewer.client().delete(f"/api/v1/reports/{report['id']}").status_code == 403
    assert world.viewer.client().post("/api/v1/projects/acme/secret/reports", {"title": "x"}, format="json").status_code == 403
    assert browser(world.viewer).get(f"/acme/secret/reports/{report['id']}/edit").status_code == 403


def test_the_draft_is_the_authors_alone(world: World) -> None:
    report = report_make(world, by=world.member)
    # The project is private: its people list its reports, without the draft; to others it does not exist.
    for person, listing in ((world.owner, 200), (world.viewer, 200), (world.outsider, 404), (world.anonymous, 404)):
        assert person.client().get(f"/api/v1/reports/{report['id']}").status_code == 404
        listed = person.client().get("/api/v1/projects/acme/secret/reports")
        assert listed.status_code == listing, f"{person.name} list: {listed.status_code}"
        if listing == 200:
            assert report["id"] not in [r["id"] for r in listed.json()["results"]]
    mine = world.member.client().get("/api/v1/projects/acme/secret/reports").json()["results"]
    assert [r["id"] for r in mine] == [report["id"]]


def test_readers_see_the_published_version_while_the_draft_changes(world: World) -> None:
    report = report_make(world, publish="org")
    key = report["id"]
    world.owner.client().patch(f"/api/v1/reports/{key}", {"title": "Work in progress", "blocks": []}, format="json")
    seen = world.viewer.client().get(f"/api/v1/reports/{key}").json()
    assert seen["published"]["title"] == "Findings"
    assert "draft" not in seen
    assert len(seen["published"]["blocks"]) == 2
    # The draft's panels are not readable by readers, even by asking for them.
    assert world.viewer.client().get(f"/api/v1/reports/{key}/data?draft=1").status_code == 404
    editor = world.member.client().get(f"/api/v1/reports/{key}").json()
    assert editor["draft"]["title"] == "Work in progress"


def test_another_organisation_cannot_read_an_org_report_nor_list(world: World) -> None:
    report = report_make(world, publish="org")
    mallory = world.outsider.client()
    assert mallory.get(f"/api/v1/reports/{report['id']}").status_code == 404
    assert mallory.get("/api/v1/projects/acme/secret/reports").status_code == 404
    assert browser(world.outsider).get(f"/acme/secret/reports/{report['id']}/").status_code == 404
    assert browser(world.outsider).get(f"/r/{report['id']}/").status_code == 404


def test_a_report_is_reached_under_its_own_project_only(world: World) -> None:
    report = report_make(world, publish="public")
    assert browser(world.anonymous).get(f"/r/{report['id']}/").status_code == 200
    assert browser(world.anonymous).get(f"/acme/open/reports/{report['id']}/").status_code == 404
    assert browser(world.owner).get(f"/acme/open/reports/{report['id']}/").status_code == 404
