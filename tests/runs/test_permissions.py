"""The permission matrix: every person × private and public project × endpoint."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from apps.runs.models import Run, RunAlert
from tests.factories import World, run_create, world_create

pytestmark = pytest.mark.django_db

READ, WRITE, ADMIN = "read", "write", "admin"
FILE_BODY = b"hello"

# (name, method, path under the project, body, level, status when allowed)
ENDPOINTS: list[tuple[str, str, str, Any, str, int]] = [
    ("project", "get", "", None, READ, 200),
    ("run list", "get", "/runs/", None, READ, 200),
    ("run detail", "get", "/runs/r1", None, READ, 200),
    ("history", "get", "/runs/r1/history", None, READ, 200),
    ("export", "get", "/runs/r1/history/export", None, READ, 200),
    ("console", "get", "/runs/r1/console", None, READ, 200),
    ("files", "get", "/runs/r1/files/", None, READ, 200),
    ("group history", "get", "/groups/g1/history", None, READ, 200),
    ("file download", "get", "/runs/r1/files/a.txt", None, READ, 200),
    ("run create", "put", "/runs/new-run", {"name": "x"}, WRITE, 201),
    ("run update", "patch", "/runs/r1", {"notes": "n"}, WRITE, 200),
    ("append", "post", "/runs/r1/streams/history", {"offset": 0, "records": [{"step": 0, "time": 1.0, "data": {"a": 1}}]}, WRITE, 200),
    ("heartbeat", "post", "/runs/r1/heartbeat", {}, WRITE, 200),
    ("finish", "post", "/runs/r1/finish", {"exit_code": 0}, WRITE, 200),
    ("file upload", "put", "/runs/r1/files/b.txt", FILE_BODY, WRITE, 201),
    ("alerts", "get", "/runs/r1/alerts", None, READ, 200),
    ("alert create", "post", "/runs/r1/alerts", {"id": "a1", "title": "loss is NaN"}, WRITE, 201),
    ("run delete", "delete", "/runs/r1", None, WRITE, 204),
    ("project update", "patch", "", {"name": "renamed"}, ADMIN, 200),
]


def expected(person: str, public: bool, level: str, allowed: int) -> int:
    rank = {"alice": 3, "bob": 2, "carol": 1}.get(person, 0)
    need = {READ: 1, WRITE: 2, ADMIN: 3}[level]
    if rank >= need:
        return allowed
    if rank == 0 and not public:
        return 404  # a private project does not exist for outsiders
    if level == READ:
        return allowed  # public
    if rank == 0 and person == "anonymous":
        return 401
    return 403


@pytest.fixture
def world() -> World:
    w = world_create()
    for project in (w.private, w.public):
        run_create(project, "r1", user=w.owner.user, group="g1")
        # A file to download.
        w.owner.client().put(
            f"/api/v1/projects/acme/{project.slug}/runs/r1/files/a.txt",
            data=FILE_BODY,
            content_type="text/plain",
            HTTP_X_CAIRN_SHA256=hashlib.sha256(FILE_BODY).hexdigest(),
        )
    return w


@pytest.mark.parametrize("public", [False, True], ids=["private", "public"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_it_enforces_the_matrix(world: World, endpoint: tuple[str, str, str, Any, str, int], public: bool) -> None:
    name, method, path, body, level, allowed = endpoint
    project = world.public if public else world.private
    url = f"/api/v1/projects/acme/{project.slug}{path}"
    for person in world.everyone():
        # Each request starts from the same state: a run r1 with a file, and no run new-run.
        if not Run.objects.filter(project=project, run_id="r1").exists():
            run_create(project, "r1", user=world.owner.user, group="g1")
        Run.objects.filter(project=project, run_id="new-run").delete()
        RunAlert.objects.all().delete()
        client = person.client()
        kwargs: dict[str, Any] = {}
        if body == FILE_BODY:
            kwargs = {"data": body, "content_type": "text/plain", "HTTP_X_CAIRN_SHA256": hashlib.sha256(body).hexdigest()}
        elif body is not None:
            kwargs = {"data": body, "format": "json"}
        response = getattr(client, method)(url, **kwargs)
        want = expected(person.name, public, level, allowed)
        assert response.status_code == want, (
            f"{person.name} {method.upper()} {url}: {response.status_code} {getattr(response, 'data', '')}, want {want}"
        )


def test_it_hides_private_projects_from_listing(world: World) -> None:
    slugs = lambda p: [x["slug"] for x in p.client().get("/api/v1/orgs/acme/projects").json()["results"]]  # noqa: E731
    assert slugs(world.viewer) == ["open", "secret"]
    assert slugs(world.outsider) == ["open"]
    assert slugs(world.anonymous) == ["open"]


def test_logging_a_run_creates_the_project_for_members_only(world: World) -> None:
    assert world.viewer.client().put("/api/v1/projects/acme/brand-new/runs/x", {}, format="json").status_code == 403
    assert world.outsider.client().put("/api/v1/projects/acme/brand-new/runs/x", {}, format="json").status_code == 404
    assert world.anonymous.client().put("/api/v1/projects/acme/brand-new/runs/x", {}, format="json").status_code == 404
    response = world.member.client().put("/api/v1/projects/acme/brand-new/runs/x", {}, format="json")
    assert response.status_code == 201
    assert response.json()["project"] == "acme/brand-new"
    project = world.member.client().get("/api/v1/projects/acme/brand-new").json()
    assert project["visibility"] == "private"
