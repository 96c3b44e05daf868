"""Diffing two versions of an artifact through the API: files and metadata."""

from __future__ import annotations

import pytest

from tests.artifacts.helpers import log_version, sha
from tests.factories import World, world_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/projects/acme/secret/artifacts/data"


@pytest.fixture
def world(settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")}}}
    return world_create()


def test_it_lists_files_added_removed_changed_and_metadata(world: World) -> None:
    c = world.member.client()
    assert log_version(c, "secret", "data", {"keep.txt": b"same", "gone.txt": b"old", "edit.csv": b"a,b\n"},
                       metadata={"rows": 1, "source": "web", "dropped": [1]}).status_code == 201
    assert log_version(c, "secret", "data", {"keep.txt": b"same", "new/x.bin": b"12345", "edit.csv": b"a,b\n1,2\n"},
                       metadata={"rows": 2, "source": "web", "split": "train"},
                       aliases=["best"]).status_code == 201

    r = c.get(f"{URL}/best/diff", {"base": "v0"})
    assert r.status_code == 200, r.content
    d = r.json()
    assert (d["base"]["version"], d["target"]["version"]) == ("v0", "v1")
    assert d["files"]["added"] == [{"path": "new/x.bin", "digest": sha(b"12345"), "size": 5}]
    assert d["files"]["removed"] == [{"path": "gone.txt", "digest": sha(b"old"), "size": 3}]
    assert d["files"]["changed"] == [{"path": "edit.csv", "old_digest": sha(b"a,b\n"), "new_digest": sha(b"a,b\n1,2\n"),
                                      "old_size": 4, "new_size": 8}]
    assert d["files"]["unchanged"] == 1
    assert d["size_change"] == (4 + 5 + 8) - (4 + 3 + 4)
    assert d["file_count_change"] == 0
    assert d["metadata"] == {"added": {"split": "train"}, "removed": {"dropped": [1]},
                             "changed": {"rows": {"old": 1, "new": 2}}}

    # The other way round, everything swaps.
    back = c.get(f"{URL}/v0/diff", {"base": "latest"}).json()
    assert [f["path"] for f in back["files"]["added"]] == ["gone.txt"]
    assert [f["path"] for f in back["files"]["removed"]] == ["new/x.bin"]
    assert back["metadata"]["changed"] == {"rows": {"old": 2, "new": 1}}


def test_a_version_against_itself_has_no_changes(world: World) -> None:
    c = world.member.client()
    log_version(c, "secret", "data", {"a": b"a", "b": b"b"}, metadata={"k": 1})
    d = c.get(f"{URL}/v0/diff", {"base": "v0"}).json()
    assert d["files"] == {"added": [], "removed": [], "changed": [], "unchanged": 2}
    assert d["metadata"] == {"added": {}, "removed": {}, "changed": {}}


def test_a_missing_base_is_400_an_unknown_one_404_and_outsiders_get_404(world: World) -> None:
    c = world.member.client()
    log_version(c, "secret", "data", {"a": b"a"})
    assert c.get(f"{URL}/v0/diff").status_code == 400
    assert c.get(f"{URL}/v0/diff", {"base": "v7"}).status_code == 404
    assert world.outsider.client().get(f"{URL}/v0/diff", {"base": "v0"}).status_code == 404
