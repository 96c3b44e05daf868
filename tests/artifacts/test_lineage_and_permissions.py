"""Lineage both ways through the API, and who may see and write artifacts."""

from __future__ import annotations

import pytest

from tests.artifacts.helpers import log_version, sha
from tests.factories import World, run_create, world_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")}}}
    w = world_create()
    for run_id in ("prep", "train", "eval"):
        run_create(w.private, run_id, user=w.owner.user)
    return w


def use(world: World, run_id: str, artifact: str) -> int:
    url = f"/api/v1/projects/acme/secret/runs/{run_id}/artifacts/used"
    return world.member.client().post(url, {"artifact": artifact}, format="json").status_code


def test_lineage_walks_both_ways(world: World) -> None:
    c = world.member.client()
    log_version(c, "secret", "data", {"d": b"data"}, run_id="prep")
    assert use(world, "train", "acme/secret/data:latest") == 200
    log_version(c, "secret", "model", {"m": b"model"}, type_="model", run_id="train")
    assert use(world, "eval", "acme/secret/model:v0") == 200
    assert use(world, "eval", "acme/secret/model:v0") == 200  # twice: one edge

    train = c.get("/api/v1/projects/acme/secret/runs/train/artifacts").json()
    assert [v["qualified_name"] for v in train["inputs"]] == ["acme/secret/data:v0"]
    assert [v["qualified_name"] for v in train["outputs"]] == ["acme/secret/model:v0"]
    model = c.get("/api/v1/projects/acme/secret/artifacts/model/v0").json()
    assert model["logged_by"]["run_id"] == "train"
    assert [r["run_id"] for r in model["used_by"]] == ["eval"]

    graph = c.get("/api/v1/projects/acme/secret/artifacts/data/v0/lineage?depth=3").json()
    assert graph["root"] == "artifact:acme/secret/data:v0"
    assert {n["id"] for n in graph["nodes"]} == {
        "artifact:acme/secret/data:v0", "run:acme/secret/prep", "run:acme/secret/train",
        "artifact:acme/secret/model:v0", "run:acme/secret/eval",
    }
    assert sorted((e["source"], e["kind"], e["target"]) for e in graph["edges"]) == [
        ("artifact:acme/secret/data:v0", "used", "run:acme/secret/train"),
        ("artifact:acme/secret/model:v0", "used", "run:acme/secret/eval"),
        ("run:acme/secret/prep", "logged", "artifact:acme/secret/data:v0"),
        ("run:acme/secret/train", "logged", "artifact:acme/secret/model:v0"),
    ]
    # From the other end, one edge away: only the neighbours.
    near = c.get("/api/v1/projects/acme/secret/artifacts/model/v0/lineage?depth=1").json()
    assert {n["id"] for n in near["nodes"]} == {"artifact:acme/secret/model:v0", "run:acme/secret/train", "run:acme/secret/eval"}
    assert c.get("/api/v1/projects/acme/secret/artifacts/model/v0/lineage?depth=11").status_code == 400


def test_a_private_projects_artifact_is_404_to_outsiders(world: World) -> None:
    log_version(world.member.client(), "secret", "data", {"d": b"data"})
    base = "/api/v1/projects/acme/secret/artifacts"
    for person in (world.outsider, world.anonymous):
        c = person.client()
        for url in (f"{base}/", f"{base}/data", f"{base}/data/latest", f"{base}/data/v0/lineage", f"{base}/blobs/{sha(b'data')}"):
            assert c.get(url).status_code == 404, (person.name, url)
    assert world.viewer.client().get(f"{base}/data/latest").status_code == 200
    # Nor may an outsider's run use it.
    run_create(world.other_org.projects.create(slug="mine", name="mine"), "r")
    response = world.outsider.client().post(
        "/api/v1/projects/evil/mine/runs/r/artifacts/used", {"artifact": "acme/secret/data:latest"}, format="json"
    )
    assert response.status_code == 404


def test_a_viewer_cannot_log(world: World) -> None:
    c = world.viewer.client()
    base = "/api/v1/projects/acme/secret/artifacts"
    assert c.post(f"{base}/blobs/missing", {"digests": [sha(b"x")]}, format="json").status_code == 403
    assert c.put(f"{base}/blobs/{sha(b'x')}", data=b"x", content_type="application/octet-stream").status_code == 403
    commit = c.post(f"{base}/", {"name": "d", "type": "dataset", "manifest": []}, format="json")
    assert commit.status_code == 403
    assert use(world, "train", "acme/secret/nothing:latest") == 404
    assert world.viewer.client().post(
        "/api/v1/projects/acme/secret/runs/train/artifacts/used", {"artifact": "acme/secret/x:v0"}, format="json"
    ).status_code == 403
    assert world.anonymous.client().get("/api/v1/projects/acme/open/artifacts/").status_code == 200
    assert world.anonymous.client().post("/api/v1/projects/acme/open/artifacts/blobs/missing",
                                         {"digests": []}, format="json").status_code == 401


def test_lineage_costs_queries_per_level_not_per_node(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.artifacts import selectors
    from apps.artifacts.models import ArtifactVersion

    c = world.member.client()
    log_version(c, "secret", "data", {"d": b"data"}, run_id="prep")

    def cost() -> tuple[int, int]:
        version = ArtifactVersion.objects.get(collection__name="data")
        with CaptureQueriesContext(connection) as queries:
            graph = selectors.lineage(version=version, depth=3, visible=lambda _pid: True)
        return len(queries), len(graph.runs) + len(graph.versions)

    use(world, "train", "acme/secret/data:v0")
    few_queries, few_nodes = cost()
    for i in range(20):
        run_create(world.private, f"consumer-{i}", user=world.owner.user)
        use(world, f"consumer-{i}", "acme/secret/data:v0")
    many_queries, many_nodes = cost()
    assert many_nodes == few_nodes + 20
    assert many_queries == few_queries
