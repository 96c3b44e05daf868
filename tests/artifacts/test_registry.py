"""The model registry through the API: links from two projects, aliases moved and audited, who may do what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.runs.models import Project
from tests.artifacts.helpers import log_version, sha
from tests.factories import World, world_create

pytestmark = pytest.mark.django_db

REG = "/api/v1/orgs/acme/registry"


@pytest.fixture
def world(settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")}}}
    w = world_create()
    c = w.member.client()
    assert log_version(c, "secret", "resnet", {"m": b"model one"}, type_="model").status_code == 201
    assert log_version(c, "open", "vit", {"m": b"model two"}, type_="model").status_code == 201
    return w


def link(world: World, artifact: str, aliases: list[str] | None = None, who: str = "member") -> Any:
    client = getattr(world, who).client()
    return client.post(f"{REG}/classifier", {"artifact": artifact, "aliases": aliases or []}, format="json")


def test_versions_link_from_two_projects(world: World) -> None:
    first = link(world, "acme/secret/resnet:latest", ["staging"])
    assert first.status_code == 201, first.content
    assert first.json()["version"] == "v0"
    second = link(world, "acme/open/vit:v0")
    assert second.status_code == 201
    again = link(world, "acme/secret/resnet:v0")  # linked already: the same registry version
    assert again.status_code == 200 and again.json()["version"] == "v0"

    got = world.viewer.client().get(f"{REG}/classifier").json()
    assert [(v["version"], v["artifact"]["qualified_name"], v["aliases"]) for v in got["versions"]] == [
        ("v1", "acme/open/vit:v0", ["latest"]),
        ("v0", "acme/secret/resnet:v0", ["staging"]),
    ]
    assert got["versions"][1]["linked_by"] == "bob"
    listed = world.viewer.client().get(f"{REG}/").json()["results"]
    assert [(m["name"], m["type"], m["version_count"]) for m in listed] == [("classifier", "model", 2)]
    # By alias, with the manifest to download it.
    staged = world.viewer.client().get(f"{REG}/classifier/staging").json()
    assert staged["version"] == "v0" and [e["path"] for e in staged["artifact"]["manifest"]] == ["m"]


def test_admin_moves_an_alias_and_the_move_is_audited(world: World) -> None:
    link(world, "acme/secret/resnet:v0", ["production"])
    link(world, "acme/open/vit:v0")
    before = timezone.now()
    moved = world.owner.client().put(f"{REG}/classifier/aliases/production", {"version": "v1"}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["aliases"] == ["latest", "production"]

    got = world.owner.client().get(f"{REG}/classifier").json()
    by_version = {v["version"]: v["aliases"] for v in got["versions"]}
    assert by_version == {"v1": ["latest", "production"], "v0": []}  # unique: taken off v0
    newest = got["audit"][0]
    assert (newest["alias"], newest["from_version"], newest["to_version"], newest["user"]) == ("production", "v0", "v1", "alice")
    assert before <= datetime.fromisoformat(newest["created_at"].replace("Z", "+00:00")) <= timezone.now()
    assert [(e["alias"], e["from_version"], e["to_version"], e["user"]) for e in got["audit"][1:]] == [
        ("latest", "v0", "v1", "bob"),
        ("latest", None, "v0", "bob"),
        ("production", None, "v0", "bob"),
    ]
    # Moving it where it is records nothing; removing it is recorded.
    assert world.owner.client().put(f"{REG}/classifier/aliases/production", {"version": "v1"}, format="json").status_code == 200
    assert world.owner.client().delete(f"{REG}/classifier/aliases/production").status_code == 204
    audit = world.owner.client().get(f"{REG}/classifier").json()["audit"]
    assert len(audit) == 5 and (audit[0]["from_version"], audit[0]["to_version"]) == ("v1", None)
    assert world.viewer.client().get(f"{REG}/classifier/production").status_code == 404


def test_viewer_is_refused_and_outsider_sees_nothing(world: World) -> None:
    link(world, "acme/secret/resnet:v0", ["production"])
    viewer = world.viewer.client()
    assert viewer.put(f"{REG}/classifier/aliases/production", {"version": "v0"}, format="json").status_code == 403
    assert viewer.delete(f"{REG}/classifier/aliases/production").status_code == 403
    assert link(world, "acme/secret/resnet:v0", who="viewer").status_code == 403
    assert viewer.get(f"{REG}/classifier").status_code == 200

    outsider = world.outsider.client()
    for url in (f"{REG}/", f"{REG}/classifier", f"{REG}/classifier/production", f"{REG}/classifier/v0"):
        assert outsider.get(url).status_code == 404, url
    assert outsider.put(f"{REG}/classifier/aliases/production", {"version": "v0"}, format="json").status_code == 404
    assert outsider.delete(f"{REG}/classifier/aliases/production").status_code == 404
    assert outsider.post(f"{REG}/classifier", {"artifact": "acme/open/vit:v0"}, format="json").status_code == 404
    assert world.anonymous.client().get(f"{REG}/classifier").status_code == 404
    audit = world.owner.client().get(f"{REG}/classifier").json()["audit"]
    assert [e["user"] for e in audit] == ["bob", "bob"]  # nothing the refused ones tried


def test_links_stay_inside_the_organisation(world: World) -> None:
    theirs = Project.objects.create(organization=world.other_org, slug="pub", name="pub", visibility="public")
    outsider = world.outsider.client()
    assert log_version_in(outsider, theirs.slug).status_code == 201
    refused = link(world, "evil/pub/w:v0")
    assert refused.status_code == 400  # a readable public project, but another organisation's
    assert world.member.client().get(f"{REG}/classifier").status_code == 404
    assert link(world, "acme/secret/resnet:v0", ["latest"]).json()["aliases"] == ["latest"]
    assert world.owner.client().put(f"{REG}/classifier/aliases/latest", {"version": "v0"}, format="json").status_code == 400
    assert link(world, "acme/secret/resnet:v0", ["v3"]).status_code == 400



def log_version_in(client: APIClient, project: str) -> Any:
    """A version in the other organisation ('evil'), logged by its owner."""
    base = f"/api/v1/projects/evil/{project}/artifacts"
    body = b"weights"
    client.put(f"{base}/blobs/{sha(body)}", data=body, content_type="application/octet-stream")
    manifest = [{"path": "w", "digest": sha(body), "size": len(body)}]
    return client.post(f"{base}/", {"name": "w", "type": "model", "manifest": manifest}, format="json")


def test_the_pages_follow_the_same_rules(world: World) -> None:
    link(world, "acme/secret/resnet:v0", ["production"])
    link(world, "acme/open/vit:v0")
    page = "/acme/-/registry/classifier/"
    viewer = world.viewer.browser()
    assert "classifier" in viewer.get("/acme/-/registry/").content.decode()
    shown = viewer.get(page).content.decode()
    assert "resnet:v0" in shown and "vit:v0" in shown and 'data-testid="move-alias"' not in shown
    assert viewer.post(page, {"alias": "production", "version": "v1"}).status_code == 403
    assert world.outsider.browser().get(page).status_code == 404
    assert world.outsider.browser().get("/acme/-/registry/").status_code == 404
    assert world.owner.browser().post(page, {"alias": "production", "version": "v1"}).status_code == 302
    refused = world.owner.browser().post(page, {"alias": "latest", "version": "v0"})
    assert refused.status_code == 200 and "moves by itself" in refused.content.decode()
    got = world.owner.client().get(f"{REG}/classifier").json()
    assert {v["version"]: v["aliases"] for v in got["versions"]} == {"v1": ["latest", "production"], "v0": []}
