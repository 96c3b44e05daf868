"""A version linked into the registry is a node of its lineage, for the organisation's members only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.artifacts.helpers import log_version
from tests.factories import World, run_create, world_create

pytestmark = pytest.mark.django_db

LINEAGE = "/api/v1/projects/acme/open/artifacts/net/v0/lineage"
REGISTERED = "registry:acme/registry/classifier:v0"


@pytest.fixture
def world(local_files: Path) -> World:
    w = world_create()
    run_create(w.public, "train", user=w.owner.user)
    c = w.member.client()
    assert log_version(c, "open", "net", {"m": b"weights"}, type_="model", run_id="train").status_code == 201
    linked = c.post("/api/v1/orgs/acme/registry/classifier", {"artifact": "acme/open/net:v0", "aliases": ["production"]},
                    format="json")
    assert linked.status_code == 201
    return w


def test_members_see_the_registered_model_linked_from_the_version(world: World) -> None:
    for person in (world.viewer, world.member):
        graph = person.client().get(f"{LINEAGE}?depth=2").json()
        registry = [n for n in graph["nodes"] if n["kind"] == "registry"]
        assert registry == [{"id": REGISTERED, "kind": "registry", "registry": {
            "org": "acme", "name": "classifier", "type": "model", "version": "v0", "path": "acme/registry/classifier",
            "aliases": ["latest", "production"]}}]
        assert {"source": "artifact:acme/open/net:v0", "target": REGISTERED, "kind": "linked"} in graph["edges"]
    # From the run that logged it too.
    run_graph = world.member.client().get("/api/v1/projects/acme/open/runs/train/artifacts/lineage?depth=1").json()
    assert REGISTERED in {n["id"] for n in run_graph["nodes"]}


def test_outsiders_of_a_public_project_see_its_lineage_but_not_the_registry(world: World) -> None:
    for person in (world.outsider, world.anonymous):
        response = person.client().get(f"{LINEAGE}?depth=2")
        assert response.status_code == 200
        graph = response.json()
        assert {n["kind"] for n in graph["nodes"]} == {"artifact", "run"}
        assert all(e["kind"] != "linked" for e in graph["edges"])
