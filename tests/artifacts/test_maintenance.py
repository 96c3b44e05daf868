"""The artifacts' Celery tasks, by name as the schedule sends them: garbage, digests, references' drift."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery import current_app
from django.core.files.storage import default_storage
from django.utils import timezone

from apps.artifacts.models import Blob, BlobUpload
from tests.artifacts.helpers import log_version, sha, stored_bytes
from tests.factories import World, world_create

pytestmark = pytest.mark.django_db

BASE = "/api/v1/projects/acme/secret/artifacts"


@pytest.fixture
def world(settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")}}}
    return world_create()


def run_task(name: str) -> Any:
    return current_app.tasks[name].apply().get()


def missing(client: Any, *contents: bytes) -> list[str]:
    return client.post(f"{BASE}/blobs/missing", {"digests": [sha(c) for c in contents]}, format="json").json()["missing"]


def test_garbage_collection_deletes_only_old_unreferenced_blobs(  # type: ignore[no-untyped-def]
    world: World, settings, django_capture_on_commit_callbacks, tmp_path: Path
) -> None:
    settings.CAIRN_ARTIFACT_GC_GRACE = 3600
    settings.CAIRN_UPLOAD_DIR = tmp_path / "uploads"
    c = world.member.client()
    assert log_version(c, "secret", "data", {"kept.bin": b"kept" * 100}).status_code == 201
    for orphan in (b"old orphan", b"new orphan"):  # uploaded, never committed
        assert c.put(f"{BASE}/blobs/{sha(orphan)}", data=orphan, content_type="application/octet-stream").status_code == 201
    Blob.objects.exclude(sha256=sha(b"new orphan")).update(created_at=timezone.now() - timedelta(hours=2))
    assert stored_bytes(world.org.pk) == 400 + 10 + 10
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the row's deletion commits
        assert run_task("artifacts.collect_garbage") == 1
    assert missing(c, b"kept" * 100, b"old orphan", b"new orphan") == [sha(b"old orphan")]
    assert stored_bytes(world.org.pk) == 400 + 10
    assert run_task("artifacts.collect_garbage") == 0  # idempotent
    # A resumable upload left half done past the grace period goes, with its parts.
    part = b"p" * 1000
    assert c.post(f"{BASE}/blobs/uploads", {"sha256": sha(part * 2), "size": 2000}, format="json").status_code == 200
    assert c.put(f"{BASE}/blobs/uploads/{sha(part * 2)}?offset=0", data=part,
                 content_type="application/octet-stream").json()["offset"] == 1000
    BlobUpload.objects.update(updated_at=timezone.now() - timedelta(hours=2))
    run_task("artifacts.collect_garbage")
    assert not BlobUpload.objects.exists() and not any(Path(settings.CAIRN_UPLOAD_DIR).rglob(sha(part * 2)))
    assert c.get(f"{BASE}/data/v0").status_code == 200


def test_verification_finds_a_corrupted_blob_and_an_upload_repairs_it(world: World) -> None:
    c = world.member.client()
    good, bad = b"good" * 100, b"bad" * 100
    assert log_version(c, "secret", "data", {"good.bin": good, "bad.bin": bad}).status_code == 201
    blob = Blob.objects.get(sha256=sha(bad))
    with default_storage.open(blob.storage_name, "wb") as fh:  # the disk rots
        fh.write(b"rotten")
    assert run_task("artifacts.verify_blobs") == {"ok": 1, "corrupt": 1, "missing": 0}
    assert missing(c, good, bad) == [sha(bad)]  # asked for again
    put = c.put(f"{BASE}/blobs/{sha(bad)}", data=bad, content_type="application/octet-stream")
    assert put.status_code == 201
    with default_storage.open(Blob.objects.get(sha256=sha(bad)).storage_name, "rb") as fh:
        assert fh.read() == bad
    assert missing(c, good, bad) == []
    assert run_task("artifacts.verify_blobs") == {"ok": 2, "corrupt": 0, "missing": 0}


def test_reference_drift_is_marked_under_the_allowed_folders_only(world: World, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    allowed = tmp_path / "shared"
    allowed.mkdir()
    settings.CAIRN_ARTIFACT_REF_FILE_ROOTS = [str(allowed)]
    tracked, steady, outside = allowed / "labels.csv", allowed / "steady.csv", tmp_path / "elsewhere.csv"
    for f in (tracked, steady, outside):
        f.write_bytes(b"a,b\n1,2\n")
    digest = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    manifest = [{"path": f.name, "digest": digest, "size": 8, "ref": f"file://{f}"} for f in (tracked, steady, outside)]
    c = world.member.client()
    assert c.post(f"{BASE}/", {"name": "refs", "type": "dataset", "manifest": manifest}, format="json").status_code == 201
    assert run_task("artifacts.check_references") == {"ok": 2, "drifted": 0, "skipped": 1}
    tracked.write_bytes(b"a,b\n1,3\n")
    assert run_task("artifacts.check_references") == {"ok": 1, "drifted": 1, "skipped": 1}
    entries = {e["path"]: e for e in c.get(f"{BASE}/refs/v0").json()["manifest"]}
    assert entries["labels.csv"]["drifted"] is True and entries["steady.csv"]["drifted"] is False
    assert "drifted" not in entries["elsewhere.csv"]  # the server does not read what it was not allowed to
    steady.unlink()
    assert run_task("artifacts.check_references")["drifted"] == 2
