"""Lone surrogates that older versions stored (SQLite's JSON columns kept them as
escapes, and every read of their row then answered 500) are repaired by the
migrations, and the parser lets no new one in, also against a real server."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import requests
from django.apps import apps as django_apps
from django.db import DataError, connection, transaction

from apps.benchmarks.models import Submission
from apps.core.repair import lone_surrogates_repair
from apps.reports.models import Report
from apps.runs.models import Run, Workspace
from tests.factories import World, run_create, world_create
from tests.serverproc import ServerProcess

RUN = "/api/v1/projects/acme/secret/runs/r1"


def migration_repair(app: str, name: str) -> None:
    """The data migration's own function, run as `migrate` runs it."""
    module: Any = importlib.import_module(f"apps.{app}.migrations.{name}")

    class SchemaEditor:
        pass

    editor = SchemaEditor()
    editor.connection = connection  # type: ignore[attr-defined]
    module.repair(django_apps, editor)


# Only SQLite ever stored one; PostgreSQL's jsonb refuses them (the last test).
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's JSON columns")
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's jsonb")


@on_sqlite
@pytest.mark.django_db
def test_the_migrations_repair_stored_lone_surrogates_and_reads_work_again() -> None:
    w: World = world_create()
    run = run_create(w.private, "r1", tags=["ok", "bad\ud800"], config={"k\udfff": {"v": ["\ud83d"]}, "lr": 0.1},
                     summary={"loss": float("nan")})
    Workspace.objects.create(project=w.private, layout={"hidden": ["\udc00"]})
    c = w.member.client()
    c.raise_request_exception = False
    assert c.get(RUN).status_code == 500  # what a reader got before the repair
    assert c.get("/api/v1/projects/acme/secret/runs/").status_code == 500

    migration_repair("runs", "0009_repair_lone_surrogates")

    got = c.get(RUN)
    assert got.status_code == 200
    assert got.json()["tags"] == ["ok", "bad\ufffd"]
    assert got.json()["config"] == {"k\ufffd": {"v": ["\ufffd"]}, "lr": 0.1}
    assert c.get("/api/v1/projects/acme/secret/runs/").status_code == 200
    assert c.get("/api/v1/projects/acme/secret/workspace").json()["hidden"] == ["\ufffd"]
    run.refresh_from_db()
    assert run.summary["loss"] != run.summary["loss"]  # NaN kept as it was
    # Idempotent: a second pass finds nothing to do.
    assert lone_surrogates_repair(Run, ["tags", "config", "summary"], vendor="sqlite") == 0


@on_sqlite
@pytest.mark.django_db
def test_the_other_apps_repair_their_json_columns() -> None:
    w = world_create()
    report = Report.objects.create(project=w.private, key="rep1", title="t", blocks=[{"id": "t", "type": "text", "text": "\ud800"}])
    migration_repair("reports", "0002_repair_lone_surrogates")
    report.refresh_from_db()
    assert report.blocks[0]["text"] == "\ufffd"
    migration_repair("benchmarks", "0002_repair_lone_surrogates")  # nothing there: nothing done
    assert Submission.objects.count() == 0


@on_postgresql
@pytest.mark.django_db
def test_postgresql_never_stored_one_so_its_repair_reads_nothing() -> None:
    w = world_create()
    with pytest.raises(DataError), transaction.atomic():
        run_create(w.private, "r1", tags=["\ud800"])
    assert lone_surrogates_repair(Run, ["tags"], vendor=connection.vendor) == 0


@pytest.mark.server
def test_a_lone_surrogate_is_refused_and_reads_keep_working_on_a_real_server(cairn_server: ServerProcess) -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {cairn_server.api_key}"
    run = f"{cairn_server.url}/api/v1/projects/local/surrogates/runs/r1"
    assert s.put(run, json={"tags": ["fine"]}).status_code == 201
    bad = s.patch(run, data=b'{"tags": ["\\ud800"]}', headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    assert bad.json() == {"error": "A lone UTF-16 surrogate (\\ud800) is not a character: send text as valid Unicode.",
                          "field": "tags[0]"}
    assert s.get(run).json()["tags"] == ["fine"]
    listed = s.get(f"{cairn_server.url}/api/v1/projects/local/surrogates/runs/")
    assert listed.status_code == 200 and [r["tags"] for r in listed.json()["results"]] == [["fine"]]
