"""A run's lineage through the API: the chain dataset -> train -> model -> eval, walked from the run."""

from __future__ import annotations

import pytest

from tests.artifacts.helpers import log_version
from tests.factories import World, run_create, world_create

pytestmark = pytest.mark.django_db

API = "/api/v1/projects/acme/secret"


@pytest.fixture
def world(settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")}}}
    w = world_create()
    for run_id in ("prep", "train", "eval"):
        run_create(w.private, run_id, user=w.owner.user)
    c = w.member.client()
    log_version(c, "secret", "data", {"d": b"data"}, run_id="prep")
    c.post(f"{API}/runs/train/artifacts/used", {"artifact": "acme/secret/data:v0"}, format="json")
    log_version(c, "secret", "model", {"m": b"model"}, type_="model", run_id="train")
    c.post(f"{API}/runs/eval/artifacts/used", {"artifact": "acme/secret/model:v0"}, format="json")
    return w


def edges(body: dict) -> set[tuple[str, str, str]]:  # type: ignore[type-arg]
    return {(e["source"], e["target"], e["kind"]) for e in body["edges"]}


def test_it_walks_from_a_run_both_ways_to_the_depth_asked(world: World) -> None:
    c = world.member.client()
    one = c.get(f"{API}/runs/train/artifacts/lineage", {"depth": 1}).json()
    assert one["root"] == "run:acme/secret/train"
    assert edges(one) == {("artifact:acme/secret/data:v0", "run:acme/secret/train", "used"),
                          ("run:acme/secret/train", "artifact:acme/secret/model:v0", "logged")}
    two = c.get(f"{API}/runs/train/artifacts/lineage", {"depth": 2}).json()
    assert {n["id"] for n in two["nodes"]} == {
        "run:acme/secret/prep", "artifact:acme/secret/data:v0", "run:acme/secret/train",
        "artifact:acme/secret/model:v0", "run:acme/secret/eval"}
    assert ("artifact:acme/secret/model:v0", "run:acme/secret/eval", "used") in edges(two)


def test_a_run_lineage_is_404_to_outsiders_and_checks_depth(world: World) -> None:
    assert world.outsider.client().get(f"{API}/runs/train/artifacts/lineage").status_code == 404
    assert world.member.client().get(f"{API}/runs/train/artifacts/lineage", {"depth": 11}).status_code == 400


def test_the_walk_costs_queries_per_level_not_per_node(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = world.member.client()
    url = f"{API}/artifacts/data/v0/lineage"

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            body = c.get(url, {"depth": 3}).json()
        assert "artifact:acme/secret/model:v0" in {n["id"] for n in body["nodes"]}
        return len(ctx.captured_queries)

    few = queries()
    for i in range(12):  # twelve more runs use the dataset, each logging a model of its own
        run_create(world.private, f"extra{i}", user=world.owner.user)
        c.post(f"{API}/runs/extra{i}/artifacts/used", {"artifact": "acme/secret/data:v0"}, format="json")
        log_version(c, "secret", f"model{i}", {"m": f"model {i}".encode()}, type_="model", run_id=f"extra{i}")
    assert len(c.get(url, {"depth": 3}).json()["nodes"]) == 5 + 24
    assert queries() == few
