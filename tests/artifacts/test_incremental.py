"""Incremental versions: the latest version, less what is removed, plus what is added (docs/artifacts.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.artifacts.helpers import log_version, sha, stored_bytes
from tests.factories import World, world_create

pytestmark = pytest.mark.django_db

BASE = "/api/v1/projects/acme/secret/artifacts/data"


@pytest.fixture
def world(local_files: Path) -> World:
    return world_create()


def _files(client, ref: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {e["path"]: e["digest"] for e in client.get(f"{BASE}/{ref}").json()["manifest"]}


def test_an_incremental_version_is_latest_less_removed_plus_added(world: World) -> None:
    c = world.member.client()
    log_version(c, "secret", "data", {"a.txt": b"a", "b.txt": b"b", "img/1.png": b"1", "img/2.png": b"2"})
    before = stored_bytes(world.org.pk)
    v1 = log_version(c, "secret", "data", {"c.txt": b"c", "a.txt": b"A"}, incremental=True, removed=["b.txt", "img"])
    assert v1.status_code == 201, v1.content
    assert v1.json()["version"] == "v1" and v1.json()["file_count"] == 2
    assert _files(c, "v1") == {"a.txt": sha(b"A"), "c.txt": sha(b"c")}
    assert _files(c, "v0") == {"a.txt": sha(b"a"), "b.txt": sha(b"b"), "img/1.png": sha(b"1"), "img/2.png": sha(b"2")}
    assert stored_bytes(world.org.pk) == before + 2  # only the new files were stored
    # On top of v1 now; removing what is not there removes nothing.
    v2 = log_version(c, "secret", "data", {"d.txt": b"d"}, incremental=True, removed=["nope.txt"])
    assert v2.json()["version"] == "v2"
    assert _files(c, "latest") == {"a.txt": sha(b"A"), "c.txt": sha(b"c"), "d.txt": sha(b"d")}


def test_an_incremental_version_that_changes_nothing_is_the_same_version(world: World) -> None:
    c = world.member.client()
    log_version(c, "secret", "data", {"a.txt": b"a"})
    again = log_version(c, "secret", "data", {"a.txt": b"a"}, incremental=True)
    assert again.status_code == 200 and again.json()["version"] == "v0"


def test_the_first_incremental_version_is_what_it_adds(world: World) -> None:
    c = world.member.client()
    first = log_version(c, "secret", "data", {"a.txt": b"a"}, incremental=True)
    assert first.status_code == 201 and first.json()["version"] == "v0"


@pytest.mark.parametrize("extra", [
    {"removed": ["a.txt"]},  # removing needs incremental
    {"incremental": "yes"},
    {"incremental": True, "removed": "a.txt"},
    {"incremental": True, "removed": ["../etc/passwd"]},
    {"incremental": True, "removed": [3]},
])
def test_hostile_incremental_commits_are_400(world: World, extra: dict) -> None:  # type: ignore[type-arg]
    c = world.member.client()
    assert log_version(c, "secret", "data", {"a.txt": b"a"}, **extra).status_code == 400
