"""Reconciliation finds the work that was missed: files of deleted runs, runs never compacted."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from moto.server import ThreadedMotoServer

from apps.core.models import PendingTask
from apps.core.observability import metrics_text
from apps.runs import reconcile, services
from apps.runs.models import HistoryChunk, Run, RunState, Stream
from tests.factories import World, run_create, world_create
from tests.serverproc import free_port
from tests.test_outbox import broker_down, eager_tasks  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, settings: Any, tmp_path: Any) -> Iterator[str]:
    """The file storage on local disk, or on S3 (a moto server of the test's own)."""
    if request.param == "local":
        settings.STORAGES = {**settings.STORAGES, "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")},
        }}
        yield "local"
        return
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = f"cairn-reconcile-{uuid.uuid4().hex[:8]}"  # moto keeps its buckets for the whole test process
    boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "apps.core.storage.CairnS3Storage", "OPTIONS": {
        "bucket_name": bucket, "endpoint_url": endpoint, "region_name": "us-east-1", "access_key": "testing",
        "secret_key": "testing", "signature_version": "s3v4", "addressing_style": "path", "default_acl": None,
    }}}
    yield "s3"
    moto.stop()


@pytest.fixture
def world() -> World:
    return world_create()


def _upload(run: Run, path: str, body: bytes) -> str:
    rf = services.file_store(run=run, path=path, body=io.BytesIO(body),
                             declared_sha256=hashlib.sha256(body).hexdigest(), declared_size=len(body))
    return rf.storage_name


def _stored_run(world: World, run_id: str, files: int = 3) -> tuple[Run, list[str]]:
    run = run_create(world.private, run_id)
    names = [_upload(run, f"out/f{i}.txt", f"{run_id} {i}".encode()) for i in range(files)]
    # A thumbnail, where media processing puts them, with no media row: one a worker
    # wrote while the run was being deleted, after its files' names were read.
    thumb = f"thumbnails/runs/{world.org.pk}/{world.private.pk}/{run.pk}/1-abc.png"
    names.append(default_storage.save(thumb, ContentFile(b"png")))
    return run, names


def _exist(names: list[str]) -> list[bool]:
    return [default_storage.exists(n) for n in names]


def test_it_deletes_the_files_of_a_run_whose_deletion_task_was_lost(world: World, storage: str, broker_down: None) -> None:  # noqa: F811
    run, names = _stored_run(world, "doomed")
    _, kept = _stored_run(world, "kept")
    services.run_delete(run=run)  # the broker is down: the files' deletion waits in the outbox
    (task,) = PendingTask.objects.filter(name="runs.delete_stored_files")
    assert sorted(task.args[0]) == sorted(names[:-1])  # the late thumbnail is nobody's to delete
    task.delete()  # ...and is lost for good (failed three times, deleted by hand, a server before the outbox)
    assert all(_exist(names))

    found = reconcile.reconcile()

    assert found.orphan_objects == len(names)
    assert not any(_exist(names))
    assert all(_exist(kept))  # a live run's files stay
    assert reconcile.reconcile().orphan_objects == 0  # nothing left: the next round finds nothing
    assert 'cairn_reconciled_total{kind="orphan_objects"}' in metrics_text().decode()


def test_it_deletes_a_deleted_projects_files_in_bounded_batches(world: World, storage: str) -> None:
    _, names = _stored_run(world, "a", files=4)
    _, more = _stored_run(world, "b", files=4)
    everything = names + more
    world.private.delete()  # rows only: the files are left behind

    rounds = []
    while True:
        deleted = reconcile.orphan_objects_delete(projects_limit=10, delete_limit=3)
        if not deleted:
            break
        rounds.append(deleted)
        assert len(rounds) < 10
    assert all(n <= 3 for n in rounds) and sum(rounds) == len(everything)
    assert not any(_exist(everything))


def test_it_walks_a_share_of_the_projects_each_round(world: World, settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")},
    }}
    projects = [services.project_create(org=world.org, slug=f"p{i}") for i in range(3)]
    names = []
    for project in projects:
        run = run_create(project, "r")
        names.append(_upload(run, "x.txt", b"x"))
        run.delete()
    # One project folder a round: every round resumes after the last.
    assert [reconcile.orphan_objects_delete(projects_limit=1, delete_limit=100) for _ in range(3)] == [1, 1, 1]
    assert not any(_exist(names))


def _small_chunks(run: Run, count: int) -> None:
    for step in range(count):
        services.stream_append(run=run, stream=Stream.HISTORY, offset=step,
                               records=[{"step": step, "time": 1.0 + step, "data": {"loss": 1.0 / (step + 1)}}])


def test_it_compacts_a_finished_run_whose_compaction_was_lost(world: World) -> None:
    run = run_create(world.private, "old")
    _small_chunks(run, 5)
    long_ago = timezone.now() - timedelta(hours=2)
    Run.objects.filter(pk=run.pk).update(state=RunState.FINISHED, finished_at=long_ago)  # finished, never compacted
    crashed = run_create(world.private, "crashed")
    _small_chunks(crashed, 3)
    Run.objects.filter(pk=crashed.pk).update(state=RunState.CRASHED, heartbeat_at=long_ago)  # crashed runs too
    recent = run_create(world.private, "recent")
    _small_chunks(recent, 3)
    Run.objects.filter(pk=recent.pk).update(state=RunState.FINISHED, finished_at=timezone.now())  # its task may be on its way

    found = reconcile.reconcile()

    assert found.uncompacted == 2
    assert HistoryChunk.objects.filter(run=run).count() == 1
    assert HistoryChunk.objects.filter(run=crashed).count() == 1
    assert HistoryChunk.objects.filter(run=recent).count() == 3
    assert reconcile.reconcile().uncompacted == 0  # compact now: found no more
    assert 'cairn_reconciled_total{kind="uncompacted"}' in metrics_text().decode()


def test_a_compaction_waiting_in_the_outbox_is_not_queued_twice(world: World, broker_down: None) -> None:  # noqa: F811
    run = run_create(world.private, "waiting")
    _small_chunks(run, 3)
    Run.objects.filter(pk=run.pk).update(state=RunState.FINISHED, finished_at=timezone.now() - timedelta(hours=2))
    assert reconcile.uncompacted_runs_queue(limit=10) == 1  # the broker is down: it waits in the outbox
    assert reconcile.uncompacted_runs_queue(limit=10) == 0
    assert PendingTask.objects.filter(name="runs.compact_history", args=[run.pk]).count() == 1
