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
