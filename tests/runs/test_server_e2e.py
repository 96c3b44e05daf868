"""Against a real server process: gunicorn, a Celery worker, the real broker."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server


def api(server: ServerProcess) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    return s


def run_url(server: ServerProcess, project: str, run_id: str) -> str:
    return f"{server.url}/api/v1/projects/local/{project}/runs/{run_id}"


def batch(start: int, n: int) -> list[dict[str, Any]]:
    return [{"step": s, "time": 1.0 + s, "data": {"x": float(s)}} for s in range(start, start + n)]


def export_steps(session: requests.Session, url: str) -> list[int]:
    text = session.get(f"{url}/history/export", params={"keys": "x"}).text
    return [json.loads(line)["step"] for line in text.splitlines()]


def test_it_answers_health_and_serves_the_schema(cairn_server: ServerProcess) -> None:
    assert requests.get(f"{cairn_server.url}/api/v1/health").json() == {"status": "ok"}
    schema = requests.get(f"{cairn_server.url}/api/v1/schema/", headers={"Accept": "application/json"})
    assert schema.status_code == 200 and "/api/v1/projects/{org}/{project}/runs/" in schema.text
    docs = requests.get(f"{cairn_server.url}/api/v1/docs/")
    assert docs.status_code == 200
    # The interactive docs load their scripts from this server, not a CDN.
    assert "cdn" not in docs.text.lower()


def test_a_retry_racing_its_original_is_stored_once(cairn_server: ServerProcess) -> None:
    s = api(cairn_server)
    url = run_url(cairn_server, "race", "r1")
    assert s.put(url, json={}).status_code == 201
    body = {"offset": 0, "records": batch(0, 2000)}
    results: list[int] = []

    def send() -> None:
        results.append(requests.post(f"{url}/streams/history", json=body, headers=s.headers).json()["stored"])

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 0, 0, 2000]
    assert export_steps(s, url) == list(range(2000))


def _appender(url: str, key: str, run_id: str, batches: int, size: int) -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {key}"
    run = f"{url}/api/v1/projects/local/many/runs/{run_id}"
    s.put(run, json={"group": "twenty"}).raise_for_status()
    offset = 0
    while offset < batches * size:
        r = s.post(f"{run}/streams/history", json={"offset": offset, "records": batch(offset, size)})
        if r.status_code == 409:
            offset = r.json()["expected_offset"]
            continue
        r.raise_for_status()
        offset = r.json()["next_offset"]
    s.post(f"{run}/finish", json={"exit_code": 0}).raise_for_status()


def test_twenty_processes_appending_at_once_lose_nothing(cairn_server: ServerProcess) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_appender, args=(cairn_server.url, cairn_server.api_key, f"p{i}", 10, 200))
        for i in range(20)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    s = api(cairn_server)
    runs = s.get(f"{cairn_server.url}/api/v1/projects/local/many/runs/", params={"limit": 100}).json()
    assert runs["count"] == 20
    for run in runs["results"]:
        assert run["state"] == "finished" and run["streams"]["history"] == 2000
        assert export_steps(s, run_url(cairn_server, "many", run["id"])) == list(range(2000))


def test_the_worker_marks_silent_runs_crashed(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path / "server", extra_env={"CAIRN_HEARTBEAT_TIMEOUT": "2", "CAIRN_DEAD_RUN_CHECK_INTERVAL": "1"}
    )
    server.start()
    try:
        s = api(server)
        url = run_url(server, "dead", "r1")
        assert s.put(url, json={}).json()["state"] == "running"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and s.get(url).json()["state"] != "crashed":
            time.sleep(0.5)
        assert s.get(url).json()["state"] == "crashed"
        # A sign of life brings it back.
        s.post(f"{url}/heartbeat", json={})
        assert s.get(url).json()["state"] == "running"
    finally:
        server.cleanup()


def test_finished_runs_are_compacted_by_the_worker(cairn_server: ServerProcess) -> None:
    s = api(cairn_server)
    url = run_url(cairn_server, "compact", "r1")
    s.put(url, json={}).raise_for_status()
    for i in range(30):
        s.post(f"{url}/streams/history", json={"offset": i * 10, "records": batch(i * 10, 10)}).raise_for_status()
    assert s.get(url).json()["storage"]["chunks"] == 30
    s.post(f"{url}/finish", json={"exit_code": 0}).raise_for_status()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and s.get(url).json()["storage"]["chunks"] != 1:
        time.sleep(0.5)
    assert s.get(url).json()["storage"]["chunks"] == 1
    assert export_steps(s, url) == list(range(300))
