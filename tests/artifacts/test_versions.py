"""Versions: content stored once, the same content the same version, `latest` moving, uploads verified."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.artifacts.helpers import log_version, sha, stored_bytes
from tests.factories import World, run_create, world_create

pytestmark = pytest.mark.django_db

BIG = b"x" * 10_000
OTHER = b"y" * 5_000


@pytest.fixture
def world(settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")}}}
    w = world_create()
    run_create(w.private, "r1", user=w.owner.user)
    return w


def test_it_stores_each_file_once_across_versions_and_artifacts(world: World) -> None:
    c = world.member.client()
    assert log_version(c, "secret", "data", {"a.bin": BIG, "b.bin": OTHER}).status_code == 201
    assert stored_bytes(world.org.pk) == len(BIG) + len(OTHER)
    # A second version sharing one file, and another artifact sharing the other.
    assert log_version(c, "secret", "data", {"a.bin": BIG, "c.txt": b"new"}).json()["version"] == "v1"
    assert log_version(c, "open", "copy", {"same.bin": OTHER}).status_code == 201
    assert stored_bytes(world.org.pk) == len(BIG) + len(OTHER) + 3
    missing = c.post("/api/v1/projects/acme/secret/artifacts/blobs/missing",
                     {"digests": [sha(BIG), sha(b"unknown")]}, format="json").json()
    assert missing == {"missing": [sha(b"unknown")]}


def test_it_gives_the_same_version_for_the_same_content(world: World) -> None:
    c = world.member.client()
    first = log_version(c, "secret", "data", {"a.bin": BIG})
    again = log_version(c, "secret", "data", {"a.bin": BIG}, aliases=["best"])
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["version"] == "v0" and again.json()["digest"] == first.json()["digest"]
    assert sorted(again.json()["aliases"]) == ["best", "latest"]
    versions = c.get("/api/v1/projects/acme/secret/artifacts/data").json()["versions"]
    assert [v["version"] for v in versions] == ["v0"]


def test_latest_moves_and_aliases_stay_unique(world: World) -> None:
    c = world.member.client()
    log_version(c, "secret", "model", {"m.pt": b"1"}, type_="model", aliases=["best"])
    v1 = log_version(c, "secret", "model", {"m.pt": b"2"}, type_="model", metadata={"acc": 0.9}, run_id="r1")
    assert v1.json()["version"] == "v1" and v1.json()["aliases"] == ["latest"]
    assert v1.json()["logged_by"]["run_id"] == "r1"
    base = "/api/v1/projects/acme/secret/artifacts/model"
    assert c.get(f"{base}/latest").json()["version"] == "v1"
    assert c.get(f"{base}/best").json()["version"] == "v0"
    log_version(c, "secret", "model", {"m.pt": b"3"}, type_="model", aliases=["best"])
    detail = c.get(f"{base}/best").json()
    assert detail["version"] == "v2" and sorted(detail["aliases"]) == ["best", "latest"]
    assert detail["manifest"] == [{"path": "m.pt", "digest": sha(b"3"), "size": 1}]
    assert c.get(f"{base}/v0").json()["aliases"] == []
    assert c.get(f"{base}/v1").json()["metadata"] == {"acc": 0.9}
    assert c.get(f"{base}/v9").status_code == 404


def test_a_corrupted_upload_is_refused_and_nothing_kept(world: World) -> None:
    c = world.member.client()
    url = f"/api/v1/projects/acme/secret/artifacts/blobs/{sha(BIG)}"
    response = c.put(url, data=BIG[:-1] + b"!", content_type="application/octet-stream")
    assert response.status_code == 400 and response.json()["field"] == "sha256"
    assert stored_bytes(world.org.pk) == 0
    commit = c.post("/api/v1/projects/acme/secret/artifacts/", {"name": "d", "type": "dataset", "manifest": [
        {"path": "a", "digest": sha(BIG), "size": len(BIG)}]}, format="json")
    assert commit.status_code == 409 and commit.json()["missing"] == [sha(BIG)]


@override_settings(CAIRN_MAX_FILE_SIZE=100)
def test_a_file_over_the_limit_is_413(world: World) -> None:
    url = f"/api/v1/projects/acme/secret/artifacts/blobs/{sha(BIG)}"
    assert world.member.client().put(url, data=BIG, content_type="application/octet-stream").status_code == 413


def test_it_downloads_a_file_by_digest(world: World) -> None:
    c = world.viewer.client()
    log_version(world.member.client(), "secret", "data", {"dir/a.bin": BIG})
    response = c.get(f"/api/v1/projects/acme/secret/artifacts/blobs/{sha(BIG)}")
    assert response.status_code == 200 and b"".join(response.streaming_content) == BIG
    # Held by the organisation, but by no version of this project: not served here.
    assert c.get(f"/api/v1/projects/acme/open/artifacts/blobs/{sha(BIG)}").status_code == 404


@pytest.mark.parametrize("bad, field", [
    ({"name": "-bad"}, "name"),
    ({"name": "blobs"}, "name"),
    ({"aliases": ["v3"]}, "aliases[0]"),
    ({"aliases": ["a/b"]}, "aliases[0]"),
    ({"metadata": [1]}, "metadata"),
    ({"manifest": [{"path": "../x", "digest": "0" * 64, "size": 1}]}, "manifest[0].path"),
    ({"manifest": [{"path": "a/b\x07c", "digest": "0" * 64, "size": 1}]}, "manifest[0].path"),
    ({"manifest": [{"path": "a\x7f", "digest": "0" * 64, "size": 1}]}, "manifest[0].path"),
    ({"manifest": [{"path": "x", "digest": "nothex", "size": 1}]}, "manifest[0].digest"),
    ({"manifest": [{"path": "x", "digest": "0" * 64, "size": -1}]}, "manifest[0].size"),
])
def test_it_refuses_bad_input_naming_the_field(world: World, bad: dict, field: str) -> None:
    body = {"name": "d", "type": "dataset", "manifest": [], **bad}
    response = world.member.client().post("/api/v1/projects/acme/secret/artifacts/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
