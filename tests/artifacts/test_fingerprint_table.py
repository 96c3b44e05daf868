"""The runs table groups by the experiment fingerprint and flags runs that repeat a finished one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apps.runs.models import Run, RunState
from tests.artifacts.helpers import log_version
from tests.artifacts.test_fingerprint import FP, P, h, store
from tests.factories import World, run_create, world_create

pytestmark = pytest.mark.django_db

OTHER = {**FP, "config": h("another config")}


@pytest.fixture
def world(local_files: Path) -> World:
    w = world_create()
    now = timezone.now()
    # first and again: the same experiment, both finished; running: the same, still going;
    # changed: another config; failed: the same as `changed`, but failed; plain: no fingerprint.
    for i, (run_id, state) in enumerate([("first", RunState.FINISHED), ("again", RunState.FINISHED),
                                         ("running", RunState.RUNNING), ("changed", RunState.FINISHED),
                                         ("failed", RunState.FAILED), ("plain", RunState.FINISHED)]):
        run_create(w.private, run_id, state=state, finished_at=None if state == RunState.RUNNING else now + timedelta(seconds=i))
    for run_id in ("first", "again", "running"):
        store(w, run_id)
    for run_id in ("changed", "failed"):
        store(w, run_id, OTHER)
    return w


def _rows(world: World, **params: str) -> dict[str, dict]:  # type: ignore[type-arg]
    got = world.viewer.client().get(f"{P}/table/rows", {"columns": "state,fingerprint", **params})
    assert got.status_code == 200, got.content
    return {r["id"]: r for r in got.json()["results"]}


def test_rows_flag_runs_that_repeat_a_finished_run(world: World) -> None:
    rows = _rows(world)
    assert {k: r["duplicate_of"] for k, r in rows.items()} == {
        # `failed` repeats the finished `changed`; `changed` repeats no finished run (a failed one never counts).
        "first": "again", "again": "first", "running": "first", "changed": None, "failed": "changed", "plain": None,
    }
    whole = Run.objects.get(project=world.private, run_id="first").fingerprint
    assert len(whole) == 64 and rows["again"]["values"]["fingerprint"] == whole
    assert rows["plain"]["values"]["fingerprint"] is None
    # The live table's rows by id say the same.
    by_id = world.viewer.client().get(f"{P}/table/rows", {"ids": "running,changed", "columns": "state"}).json()
    assert {r["id"]: r["duplicate_of"] for r in by_id["results"]} == {"running": "first", "changed": None}
    # The filter language knows the field.
    assert set(_rows(world, filter=f'fingerprint = "{whole}"')) == {"first", "again", "running"}


def test_the_table_groups_by_fingerprint(world: World) -> None:
    got = world.viewer.client().get(f"{P}/table/groups", {"by": "fingerprint"}).json()
    first = Run.objects.get(project=world.private, run_id="first").fingerprint
    changed = Run.objects.get(project=world.private, run_id="changed").fingerprint
    assert got["by"] == "fingerprint"
    assert [(g["value"], g["count"], g["filter"]) for g in got["groups"]] == [
        (first, 3, f'fingerprint = "{first}"'), (changed, 2, f'fingerprint = "{changed}"'), (None, 1, 'fingerprint = ""'),
    ]
    assert set(_rows(world, filter='fingerprint = ""')) == {"plain"}


def test_the_data_part_moves_the_run_to_another_group(world: World) -> None:
    log_version(world.member.client(), "secret", "data", {"d": b"data"})
    used = world.member.client().post(f"{P}/runs/again/artifacts/used", {"artifact": "acme/secret/data:v0"}, format="json")
    assert used.status_code == 200
    rows = _rows(world)
    assert rows["again"]["duplicate_of"] is None and rows["first"]["duplicate_of"] is None
    assert rows["again"]["values"]["fingerprint"] != rows["first"]["values"]["fingerprint"]
