"""The OpenAPI schema is a contract: a client generated from the live schema
(openapi-python-client) creates a run, appends history and reads it back
from a real server, authenticated by its API key, and understands the errors."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "cairn_generated_client"


@pytest.fixture(scope="module")
def generated(cairn_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("generated")
    schema = requests.get(
        f"{cairn_server.url}/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}, timeout=30
    )
    assert schema.status_code == 200
    (out / "schema.json").write_text(json.dumps(schema.json()))
    subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(out / "schema.json"),
         "--meta", "none", "--output-path", str(out / PACKAGE)],
        cwd=out, check=True, capture_output=True, timeout=120,
    )
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_a_generated_client_creates_a_run_appends_history_and_reads_it_back(
    generated: ModuleType, cairn_server: ServerProcess
) -> None:
    models = _module("models")
    projects = "api.projects"
    client = generated.AuthenticatedClient(base_url=cairn_server.url, token=cairn_server.api_key)
    where = {"org": cairn_server.org, "project": "generated-client", "run_id": "gen-1", "client": client}

    writer = models.WriterDeclarationRequest(id="gen-writer", label="gen", shared=False)
    created = _module(f"{projects}.run_upsert").sync_detailed(
        **where, body=models.RunUpsertRequest(name="from a generated client", tags=["generated"], writer=writer),
    )
    assert created.status_code == 201
    run = created.parsed
    assert isinstance(run, models.RunUpserted)
    assert (run.id, run.name, run.state) == ("gen-1", "from a generated client", models.RunStateEnum.RUNNING)
    assert run.streams.history == 0
    assert (run.writer.id, run.writer.label, run.writer.streams.history) == ("gen-writer", "gen", 0)
    assert run.other_writers == []

    records = [
        models.HistoryRecordRequest(
            step=step, time=1_764_500_000.0 + step, data=models.HistoryRecordRequestData.from_dict({"loss": 1.0 / (step + 1)}),
        )
        for step in range(3)
    ]
    appended = _module(f"{projects}.history_append").sync(
        **where, body=models.HistoryBatchRequest(offset=0, records=records)
    )
    assert isinstance(appended, models.Appended)
    assert (appended.next_offset, appended.stored) == (3, 3)

    history = _module(f"{projects}.history_sampled").sync(**where, keys="loss")
    assert isinstance(history, models.History)
    loss = history.series["loss"]
    assert loss.steps == [0, 1, 2]
    assert loss.values == pytest.approx([1.0, 0.5, 1 / 3])

    resumed = _module(f"{projects}.run_upsert").sync_detailed(**where, body=models.RunUpsertRequest())
    assert resumed.status_code == 200
    assert resumed.parsed.streams.history == 3


def test_a_generated_client_reads_the_errors(generated: ModuleType, cairn_server: ServerProcess) -> None:
    models = _module("models")
    client = generated.AuthenticatedClient(base_url=cairn_server.url, token=cairn_server.api_key)
    where = {"org": cairn_server.org, "project": "generated-client", "run_id": "gen-errors", "client": client}
    _module("api.projects.run_upsert").sync(**where, body=models.RunUpsertRequest())

    record = models.HistoryRecordRequest(step=0, time=1.0, data=models.HistoryRecordRequestData.from_dict({"x": 1}))
    gap = _module("api.projects.history_append").sync_detailed(
        **where, body=models.HistoryBatchRequest(offset=5, records=[record])
    )
    assert gap.status_code == 409
    assert isinstance(gap.parsed, models.StreamGap)
    assert gap.parsed.expected_offset == 0

    revoked = generated.AuthenticatedClient(base_url=cairn_server.url, token="cairn_nosuchke_" + "x" * 32)
    refused = _module("api.projects.run_get").sync_detailed(**{**where, "client": revoked})
    assert refused.status_code == 401
    assert isinstance(refused.parsed, models.Error)
    assert refused.parsed.error
