"""Two organisations: acme (alice admin, bob member, carol viewer) trains; lab
(olivia admin, oscar member) owns the benchmarks; mallory is in neither."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from apps.benchmarks.models import Benchmark
from apps.orgs.models import Organization, Role
from apps.orgs.services import membership_set, org_create
from apps.runs.models import Run, RunState
from tests.factories import Person, World, person, world_create


@dataclass
class Lab:
    world: World
    lab: Organization
    olivia: Person  # admin of lab
    oscar: Person  # member of lab

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)


@pytest.fixture(autouse=True)
def _tasks_eager() -> Iterator[None]:
    """The scoring task runs in the request that queues it.

    Django's settings may be loaded before tests/conftest.py asks for eager
    tasks, so the Celery app is told directly.
    """
    from webapp.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def lab() -> Lab:
    w = world_create()
    olivia, oscar = person("olivia"), person("oscar")
    org = org_create(slug="lab", name="Lab", owner=olivia.user)
    membership_set(org=org, user=oscar.user, role=Role.MEMBER)
    return Lab(w, org, olivia, oscar)


def benchmark_create(lab: Lab, slug: str = "imagenet", **fields: Any) -> Benchmark:
    body = {"org": "lab", "slug": slug, "name": slug.title(), "metric_key": "acc", "direction": "higher", **fields}
    r = lab.olivia.client().post("/api/v1/benchmarks/", body, format="json")
    assert r.status_code == 201, r.content
    return Benchmark.objects.get(organization=lab.lab, slug=slug)


def finished_run(project: Any, run_id: str, summary: dict[str, Any], **fields: Any) -> Run:
    fields.setdefault("config", {"lr": 0.1, "optimizer": "adam"})
    fields.setdefault("system", {"git": {"commit": "abc123", "dirty": False, "remote": "git@secret:repo.git"}})
    return Run.objects.create(
        project=project, run_id=run_id, name=run_id, state=RunState.FINISHED, summary=summary, **fields
    )


def submit(who: Person, benchmark: Benchmark, run: Run, **extra: Any) -> Any:
    path = f"{run.project.organization.slug}/{run.project.slug}/{run.run_id}"
    return who.client().post(
        f"/api/v1/benchmarks/{benchmark.organization.slug}/{benchmark.slug}/submissions/",
        {"run": path, **extra},
        format="json",
    )


def leaderboard(who: Person, benchmark: Benchmark, **params: Any) -> Any:
    r = who.client().get(f"/api/v1/benchmarks/{benchmark.organization.slug}/{benchmark.slug}/leaderboard", params)
    assert r.status_code == 200, r.content
    return r.json()
