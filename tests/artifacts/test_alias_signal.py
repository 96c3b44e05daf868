"""`alias_moved` (apps/artifacts/signals.py): sent once the transaction commits, for artifact aliases and registry stages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apps.artifacts.models import ArtifactAlias, ArtifactVersion, RegistryAlias, RegistryVersion
from apps.artifacts.signals import alias_moved
from tests.artifacts.helpers import log_version
from tests.factories import World, world_create

pytestmark = pytest.mark.django_db

REG = "/api/v1/orgs/acme/registry/classifier"


@pytest.fixture
def world(local_files: Path) -> World:
    return world_create()


@pytest.fixture
def heard() -> Iterator[list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []

    def listen(sender: Any, signal: Any, **kwargs: Any) -> None:
        got.append({"sender": sender, **kwargs})

    alias_moved.connect(listen)
    yield got
    alias_moved.disconnect(listen)


def _version(name: str, v: str) -> int:
    return ArtifactVersion.objects.get(collection__name=name, index=int(v[1:])).pk


def test_artifact_aliases_are_announced_after_commit(world: World, heard: list, django_capture_on_commit_callbacks: Any) -> None:  # type: ignore[type-arg]
    c = world.member.client()
    with django_capture_on_commit_callbacks(execute=True):
        log_version(c, "secret", "model", {"m": b"1"}, type_="model", aliases=["best"])
        assert heard == []  # not before the commit
    common = {"sender": ArtifactAlias, "org_id": world.org.pk, "project_id": world.private.pk, "artifact": "model",
              "actor_id": None}
    v0 = _version("model", "v0")
    assert sorted(heard, key=lambda h: h["alias"]) == [
        {**common, "alias": "best", "version_id": v0, "previous_version_id": None},
        {**common, "alias": "latest", "version_id": v0, "previous_version_id": None},
    ]
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        log_version(c, "secret", "model", {"m": b"2"}, type_="model")
        log_version(c, "secret", "model", {"m": b"1"}, type_="model")  # v0 again: latest stays on v1
    assert heard == [{**common, "alias": "latest", "version_id": _version("model", "v1"), "previous_version_id": v0}]


def test_a_refused_commit_announces_nothing(world: World, heard: list, django_capture_on_commit_callbacks: Any) -> None:  # type: ignore[type-arg]
    c = world.member.client()
    log_version(c, "secret", "model", {"m": b"1"}, type_="model")
    with django_capture_on_commit_callbacks(execute=True):
        assert log_version(c, "secret", "model", {"m": b"2"}, type_="dataset").status_code == 409
    assert heard == []


def test_registry_stages_are_announced_with_who_moved_them(world: World, heard: list, django_capture_on_commit_callbacks: Any) -> None:  # type: ignore[type-arg]
    c = world.member.client()
    for content in (b"1", b"2"):
        log_version(c, "secret", "model", {"m": content}, type_="model")
    with django_capture_on_commit_callbacks(execute=True):
        assert c.post(REG, {"artifact": "acme/secret/model:v0", "aliases": ["production"]}, format="json").status_code == 201
        assert c.post(REG, {"artifact": "acme/secret/model:v1"}, format="json").status_code == 201
    r0, r1 = (RegistryVersion.objects.get(index=i).pk for i in (0, 1))
    common = {"sender": RegistryAlias, "org_id": world.org.pk, "project_id": None, "artifact": "classifier",
              "actor_id": world.member.user.pk}
    assert sorted((h["alias"], h["version_id"], h["previous_version_id"]) for h in heard) == [
        ("latest", r0, None), ("latest", r1, r0), ("production", r0, None)]
    assert all({k: h[k] for k in common} == common for h in heard)
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moved = world.owner.client().put(f"{REG}/aliases/production", {"version": "v1"}, format="json")
        assert moved.status_code == 200, moved.content
        # A viewer may not move it: nothing announced for that.
        assert world.viewer.client().put(f"{REG}/aliases/production", {"version": "v0"}, format="json").status_code == 403
    assert heard == [{**common, "actor_id": world.owner.user.pk, "alias": "production", "version_id": r1,
                      "previous_version_id": r0}]
