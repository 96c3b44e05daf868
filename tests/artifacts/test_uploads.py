"""Batch uploads of small files: verified while read, stored once, limits before work."""

from __future__ import annotations

import os

import pytest
from django.core.files.storage import default_storage

from apps.artifacts.services import blob_storage_name
from tests.artifacts.helpers import sha, stored_bytes
from tests.factories import World, world_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/projects/acme/secret/artifacts/blobs/batch"


@pytest.fixture
def world(settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")}}}
    return world_create()


def batch(*files: bytes, digests: list[str] | None = None) -> bytes:
    digests = digests or [sha(f) for f in files]
    return b"".join(f"{d} {len(f)}\n".encode() + f for d, f in zip(digests, files))


def post(client, body: bytes):  # type: ignore[no-untyped-def]
    return client.post(URL, data=body, content_type="application/octet-stream")


def test_a_batch_stores_each_new_file_once(world: World) -> None:
    c = world.member.client()
    files = [b"a" * 1000, b"b" * 2000, b""]
    first = post(c, batch(*files, b"a" * 1000))
    assert first.status_code == 200, first.content
    assert first.json() == {"files": 4, "stored": 3, "present": 0, "stored_bytes": 3000}
    assert stored_bytes(world.org.pk) == 3000
    missing = c.post("/api/v1/projects/acme/secret/artifacts/blobs/missing",
                     {"digests": [sha(f) for f in files]}, format="json").json()
    assert missing == {"missing": []}
    again = post(c, batch(*files)).json()
    assert again["stored"] == 0 and again["present"] == 3
    assert stored_bytes(world.org.pk) == 3000


def test_a_corrupted_file_is_refused_and_those_before_it_kept(world: World) -> None:
    c = world.member.client()
    good, bad = b"good" * 100, b"bad" * 100
    response = post(c, batch(good, bad, digests=[sha(good), sha(b"something else")]))
    assert response.status_code == 400
    missing = c.post("/api/v1/projects/acme/secret/artifacts/blobs/missing",
                     {"digests": [sha(good), sha(b"something else")]}, format="json").json()
    assert missing == {"missing": [sha(b"something else")]}
    assert stored_bytes(world.org.pk) == len(good)


def test_a_batch_of_several_groups_stores_every_file_whole(world: World) -> None:
    # 14 files of 700 KB and one of 3 MiB: several groups, headers and files across the server's
    # 1 MiB reads, and a file across four of them.
    c = world.member.client()
    files = [os.urandom(700 * 1024 + i) for i in range(14)]
    files.insert(7, os.urandom(3 * 1024 * 1024 + 5))
    response = post(c, batch(*files))
    assert response.status_code == 200, response.content
    assert response.json() == {"files": 15, "stored": 15, "present": 0, "stored_bytes": sum(map(len, files))}
    for f in files:
        with default_storage.open(blob_storage_name(world.org, sha(f))) as fh:
            assert fh.read() == f
    again = post(c, batch(*files)).json()
    assert again == {"files": 15, "stored": 0, "present": 15, "stored_bytes": 0}


def test_a_corrupted_file_in_a_later_group_is_refused_and_the_verified_ones_kept(world: World) -> None:
    c = world.member.client()
    files = [os.urandom(700 * 1024) for _ in range(12)]
    digests = [sha(f) for f in files]
    digests[8] = sha(b"not these bytes")
    response = post(c, batch(*files, digests=digests))
    assert response.status_code == 400
    assert digests[8] in response.json()["error"]
    asked = c.post("/api/v1/projects/acme/secret/artifacts/blobs/missing", {"digests": digests}, format="json")
    assert digests[8] in asked.json()["missing"]
    missing = asked.json()["missing"]
    assert not set(digests[:8]) & set(missing)  # verified before it: kept
    kept = [f for f, d in zip(files, digests) if d not in missing]
    assert stored_bytes(world.org.pk) == sum(map(len, kept))


def test_the_same_digest_twice_with_other_bytes_is_refused(world: World) -> None:
    c = world.member.client()
    good = b"good" * 100
    response = post(c, batch(good, b"evil" * 100, digests=[sha(good), sha(good)]))
    assert response.status_code == 400
    assert stored_bytes(world.org.pk) == len(good)


def test_limits_come_before_work(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    c = world.member.client()
    settings.CAIRN_MAX_BODY_SIZE = 1000
    assert post(c, batch(b"x" * 2000)).status_code == 413
    settings.CAIRN_MAX_BODY_SIZE = 64 * 1024**2
    big = b"y" * (4 * 1024**2 + 1)
    assert post(c, batch(big)).status_code == 413
    assert post(c, b"not a header\n").status_code == 400
    truncated = batch(b"z" * 100)[:-10]
    assert post(c, truncated).status_code == 400
    assert stored_bytes(world.org.pk) == 0


def test_a_viewer_or_an_outsider_cannot_upload(world: World) -> None:
    assert post(world.viewer.client(), batch(b"v")).status_code == 403
    assert post(world.outsider.client(), batch(b"v")).status_code == 404
    assert stored_bytes(world.org.pk) == 0


def test_direct_uploads_need_s3_storage(world: World) -> None:
    c = world.member.client()
    base = "/api/v1/projects/acme/secret/artifacts/blobs/uploads"
    digest = sha(b"big")
    opened = c.post(base, {"sha256": digest, "size": 3, "direct": True}, format="json")
    assert opened.status_code == 200 and "direct" not in opened.json()  # local storage: parts through the server
    assert opened.json()["offset"] == 0
    assert c.post(base, {"sha256": digest, "size": 3, "direct": "yes"}, format="json").status_code == 400
    assert c.post(f"{base}/{digest}/complete").status_code == 404
    assert world.outsider.client().post(f"{base}/{digest}/complete").status_code == 404
