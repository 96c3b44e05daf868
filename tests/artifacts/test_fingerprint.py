"""The experiment fingerprint through the API: stored, matched (finished runs only), compared, per organisation."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.utils import timezone

from apps.runs.models import Project, RunState
from tests.artifacts.helpers import log_version
from tests.factories import World, run_create, world_create

pytestmark = pytest.mark.django_db

P = "/api/v1/projects/acme/secret"


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def base_of(code: str, config: str, env: str) -> str:
    return h(f"{code}\n{config}\n{env}\n")


FP = {"code": h("code"), "config": h("config"), "env": h("env")}
BASE = base_of(FP["code"], FP["config"], FP["env"])


@pytest.fixture
def world(settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")}}}
    return world_create()


def finished(project: Project, run_id: str, state: str = RunState.FINISHED, **fields: Any) -> None:
    run_create(project, run_id, state=state, finished_at=timezone.now(), **fields)


def store(world: World, run_id: str, fp: dict[str, Any] = FP, prefix: str = P) -> dict[str, Any]:
    r = world.member.client().put(f"{prefix}/runs/{run_id}/fingerprint", fp, format="json")
    assert r.status_code == 200, r.content
    return r.json()


def match(world: World, base: str = BASE) -> Any:
    r = world.member.client().get(f"{P}/fingerprints/{base}")
    assert r.status_code == 200, r.content
    return r.json()["match"]


def use(world: World, run_id: str, artifact: str) -> None:
    r = world.member.client().post(f"{P}/runs/{run_id}/artifacts/used", {"artifact": artifact}, format="json")
    assert r.status_code == 200, r.content


def test_it_keeps_the_parts_and_computes_data_and_whole(world: World) -> None:
    finished(world.private, "a")
    finished(world.private, "b")
    a, b = store(world, "a"), store(world, "b")
    assert a["base"] == BASE and a["whole"] == b["whole"]  # an identical rerun: the same fingerprint
    dupes = world.viewer.client().get(f"{P}/runs/a/fingerprint").json()["duplicates"]
    assert [d["run_id"] for d in dupes] == ["b"]

    log_version(world.member.client(), "secret", "data", {"x": b"one"})
    use(world, "a", "acme/secret/data:v0")
    log_version(world.member.client(), "secret", "data", {"x": b"two"})
    use(world, "b", "acme/secret/data:v1")
    a2 = world.member.client().get(f"{P}/runs/a/fingerprint").json()
    b2 = world.member.client().get(f"{P}/runs/b/fingerprint").json()
    assert a2["data"] != a["data"]  # using an artifact changed the data part
    assert a2["base"] == b2["base"] and a2["data"] != b2["data"] and a2["whole"] != b2["whole"]
    assert a2["duplicates"] == []


def test_it_matches_a_finished_run_never_a_failed_or_crashed_one(world: World) -> None:
    finished(world.private, "failed", state=RunState.FAILED)
    finished(world.private, "crashed", state=RunState.CRASHED)
    run_create(world.private, "running")
    for run_id in ("failed", "crashed", "running"):
        store(world, run_id)
    assert match(world) is None
    finished(world.private, "done", summary={"acc": 0.9})
    store(world, "done")
    found = match(world)
    assert found["run_id"] == "done" and found["summary"] == {"acc": 0.9}
    assert found["url"].endswith("/acme/secret/runs/done")
    assert match(world, base_of(FP["code"], h("other config"), FP["env"])) is None


def test_it_does_not_match_when_an_input_has_a_newer_version(world: World) -> None:
    c = world.member.client()
    log_version(c, "secret", "data", {"x": b"one"})
    finished(world.private, "done")
    store(world, "done")
    use(world, "done", "acme/secret/data:latest")
    assert match(world)["run_id"] == "done"  # its input is still the latest
    log_version(c, "secret", "data", {"x": b"two"})
    assert match(world) is None  # a rerun would read v1


def test_another_orgs_identical_run_is_never_matched(world: World) -> None:
    theirs = Project.objects.create(organization=world.other_org, slug="secret", name="secret")
    finished(theirs, "theirs")
    r = world.outsider.client().put("/api/v1/projects/evil/secret/runs/theirs/fingerprint", FP, format="json")
    assert r.status_code == 200
    assert match(world) is None
    # nor can an outsider ask about the private project
    assert world.outsider.client().get(f"{P}/fingerprints/{BASE}").status_code == 404
    assert world.viewer.client().get(f"{P}/fingerprints/{BASE}").status_code == 200
    finished(world.private, "mine")
    assert world.viewer.client().put(f"{P}/runs/mine/fingerprint", FP, format="json").status_code == 403


def test_the_comparison_names_what_differs(world: World) -> None:
    finished(world.private, "a", config={"lr": 0.1, "seed": 1})
    finished(world.private, "b", config={"lr": 0.01, "seed": 1})
    details_a = {"code": {"commit": "c1", "diff": ""}, "config": {"keys": {"lr": "1", "seed": "s"}},
                 "env": {"python": "cpython 3.11.9", "packages": {"torch": "2.3.0", "numpy": "1.26.4"}}}
    details_b = {"code": {"commit": "c1", "diff": ""}, "config": {"keys": {"lr": "2", "seed": "s"}},
                 "env": {"python": "cpython 3.11.9", "packages": {"torch": "2.4.0", "numpy": "1.26.4"}}}
    store(world, "a", dict(FP, details=details_a))
    store(world, "b", dict(FP, config=h("config b"), env=h("env b"), details=details_b))
    r = world.member.client().get(f"{P}/runs/a/fingerprint/compare?other=b")
    assert r.status_code == 200, r.content
    body = r.json()
    parts = body["parts"]
    assert body["same"] is False
    assert parts["code"]["same"] is True and parts["data"]["same"] is True
    assert parts["config"] == {"same": False, "keys": [{"key": "lr", "a": 0.1, "b": 0.01}]}
    assert parts["env"]["same"] is False and parts["env"]["python"] is None
    assert parts["env"]["packages"] == [{"name": "torch", "a": "2.3.0", "b": "2.4.0"}]


def test_it_refuses_a_malformed_fingerprint(world: World) -> None:
    finished(world.private, "a")
    r = world.member.client().put(f"{P}/runs/a/fingerprint", dict(FP, code="nothex"), format="json")
    assert r.status_code == 400
    assert world.member.client().get(f"{P}/runs/a/fingerprint").status_code == 404
