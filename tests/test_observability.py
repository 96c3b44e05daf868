"""What an operator watches: request ids in the logs, Prometheus metrics a scraper can parse."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server
TOKEN = "scrape-secret"


@pytest.fixture(scope="module")
def watched_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("watched"), extra_env={
        "CAIRN_METRICS_TOKEN": TOKEN, "CAIRN_LOG_FORMAT": "json",
    })
    server.start()
    yield server
    server.cleanup()


def _samples(server: ServerProcess) -> dict[str, list[tuple[dict[str, str], float]]]:
    r = requests.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def test_metrics_are_refused_without_the_token(watched_server: ServerProcess) -> None:
    assert requests.get(f"{watched_server.url}/metrics", timeout=10).status_code == 404
    wrong = requests.get(f"{watched_server.url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 404


def test_metrics_count_requests_ingest_tasks_and_backlogs(watched_server: ServerProcess) -> None:
    server = watched_server
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {server.api_key}"
    run = f"{server.url}/api/v1/projects/{server.org}/watched/runs/m1"
    assert api.put(run, json={}, timeout=10).status_code == 201
    records = [{"step": i, "time": 1.0 + i, "data": {"loss": 1.0 / (i + 1)}} for i in range(250)]
    assert api.post(f"{run}/streams/history", json={"offset": 0, "records": records}, timeout=10).status_code == 200
    assert api.post(f"{run}/finish", json={"exit_code": 0}, timeout=10).status_code == 200
    deadline = time.monotonic() + 30
    while True:  # the worker compacts the finished run's history and counts the task
        samples = _samples(server)
        tasks = {(s["task"], s["state"]): v for s, v in samples.get("cairn_tasks_total", [])}
        if tasks.get(("runs.compact_history", "SUCCESS")) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert tasks.get(("runs.compact_history", "SUCCESS")) == 1.0, tasks
    ingest = {s["stream"]: v for s, v in samples["cairn_ingest_rows_total"]}
    assert ingest["history"] == 250
    requests_by_route = {(s["route"], s["status"]) for s, _ in samples["cairn_http_requests_total"]}
    # One series per endpoint, labelled by its pattern, never by the ids in the path.
    history_route = "api/v1/projects/<str:org>/<str:project>/runs/<str:run_id>/streams/history"
    assert (history_route, "200") in requests_by_route, requests_by_route
    assert not any("m1" in route for route, _ in requests_by_route)
    assert any(s["le"] == "+Inf" for s, _ in samples["cairn_http_request_duration_seconds_bucket"])
    assert {s["queue"] for s, _ in samples["cairn_queue_depth"]} >= {"default", "history", "media"}
    assert {s["state"]: v for s, v in samples["cairn_outbox_tasks"]}["failed"] == 0
    assert [v for _, v in samples["cairn_media_backlog"]] == [0.0]


def test_each_log_line_is_json_with_time_level_and_the_request_id(watched_server: ServerProcess) -> None:
    server = watched_server
    r = requests.get(f"{server.url}/api/v1/projects/{server.org}/no-such-project/runs/",
                     headers={"Authorization": f"Bearer {server.api_key}", "X-Request-ID": "trace-42"}, timeout=10)
    assert r.status_code == 404 and r.headers["X-Request-ID"] == "trace-42"
    hostile = requests.get(f"{server.url}/api/v1/viewer", headers={"X-Request-ID": "a b\u00e9" * 40}, timeout=10)
    assert len(hostile.headers["X-Request-ID"]) == 32  # not echoed: a fresh id instead
    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(line) for line in Path(server.data_dir, "server.log").read_text().splitlines()
                 if line.startswith("{")]
        mine = [entry for entry in lines if entry.get("request_id") == "trace-42"]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert mine, lines[-5:]
    assert mine[0]["level"] == "WARNING" and "no-such-project" in mine[0]["message"] and mine[0]["time"]
