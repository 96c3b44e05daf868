"""Gzip bodies are inflated only for a caller the view has let in, and never
past the limit: against a real server, measuring what its processes write."""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server

MiB = 1024 * 1024
FILE_LIMIT = 32 * MiB
BODY_LIMIT = 4 * MiB
# 256 MiB of zeros: about 250 KB on the wire.
BOMB = gzip.compress(b"\0" * (256 * MiB), compresslevel=9)
NOTHING_BIG = 4 * MiB


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = ServerProcess(
        tmp_path_factory.mktemp("gzip-server"),
        extra_env={"CAIRN_MAX_FILE_SIZE": str(FILE_LIMIT), "CAIRN_MAX_BODY_SIZE": str(BODY_LIMIT)},
    )
    try:
        s.start()
    except Exception as e:
        raise RuntimeError(f"{e}\n{s.log_tail()}") from e
    yield s
    s.cleanup()


def process_tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree += frontier
    return tree


def bytes_written(server: ServerProcess) -> int:
    """Bytes the server's processes (supervisor, gunicorn, worker) have written, to any file."""
    assert server.proc is not None
    total = 0
    for pid in process_tree(server.proc.pid):
        try:
            for line in Path(f"/proc/{pid}/io").read_text().splitlines():
                if line.startswith("wchar:"):
                    total += int(line.split()[1])
        except OSError:
            pass  # gone
    return total


def send(server: ServerProcess, method: str, path: str, body: bytes, key: str | None = None, **headers: str) -> tuple[requests.Response, int]:
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/octet-stream", **headers}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    before = bytes_written(server)
    response = requests.request(method, f"{server.url}{path}", data=body, headers=headers, timeout=60)
    return response, bytes_written(server) - before


def files_url(project: str) -> str:
    return f"/api/v1/projects/local/{project}/runs/r1/files/model.bin"


@pytest.fixture(scope="module")
def private_project(server: ServerProcess) -> str:
    put = requests.put(f"{server.url}/api/v1/projects/local/secret/runs/r1", json={},
                       headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30)
    assert put.status_code == 201, put.text
    return "secret"


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs Linux's /proc/<pid>/io")
def test_an_anonymous_bomb_is_refused_before_anything_is_inflated(server: ServerProcess, private_project: str) -> None:
    for path in (files_url("no-such-project"), files_url(private_project)):
        response, written = send(server, "PUT", path, BOMB, **{"X-Cairn-Sha256": "0" * 64})
        assert response.status_code == 404, response.text
        assert response.json() == {"error": "Not found."}
        assert written < NOTHING_BIG, f"{written} bytes written for an anonymous request"
    response, written = send(server, "POST", f"/api/v1/projects/local/{private_project}/runs/r1/streams/history",
                             BOMB, **{"Content-Type": "application/json"})
    assert response.status_code == 404
    assert written < NOTHING_BIG


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs Linux's /proc/<pid>/io")
def test_an_anonymous_bomb_to_a_view_without_a_scope_is_refused_uninflated(server: ServerProcess) -> None:
    # Creating a benchmark reads the body before it checks the caller: the
    # body itself refuses a stranger.
    response, written = send(server, "POST", "/api/v1/benchmarks/", BOMB, **{"Content-Type": "application/json"})
    assert response.status_code == 401
    assert "compressed body" in response.json()["error"]
    assert written < NOTHING_BIG


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs Linux's /proc/<pid>/io")
def test_an_authorised_bomb_is_a_413_and_never_more_than_the_limit_is_written(server: ServerProcess, private_project: str) -> None:
    response, written = send(server, "PUT", files_url(private_project), BOMB, server.api_key, **{"X-Cairn-Sha256": "0" * 64})
    assert response.status_code == 413
    assert "limit" in response.json()["error"]
    assert written < FILE_LIMIT + NOTHING_BIG
    response, written = send(server, "POST", f"/api/v1/projects/local/{private_project}/runs/r1/streams/history",
                             BOMB, server.api_key, **{"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"].endswith(f"limit of {BODY_LIMIT} bytes.")
    assert written < NOTHING_BIG  # a JSON body is inflated in memory, never to disk
    assert requests.get(f"{server.url}/api/v1/health", timeout=10).status_code == 200


def test_a_member_uploads_a_gzip_file_and_appends_gzip_json(server: ServerProcess, private_project: str) -> None:
    content = b"weights " * 10_000
    response, _ = send(server, "PUT", files_url(private_project), gzip.compress(content), server.api_key,
                       **{"X-Cairn-Sha256": hashlib.sha256(content).hexdigest()})
    assert response.status_code == 201, response.text
    assert response.json()["size"] == len(content)
    got = requests.get(f"{server.url}{files_url(private_project)}", headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30)
    assert got.content == content
    body = b'{"offset": 0, "records": [{"step": 0, "time": 1.0, "data": {"a": 1}}]}'
    response, _ = send(server, "POST", f"/api/v1/projects/local/{private_project}/runs/r1/streams/history",
                       gzip.compress(body), server.api_key, **{"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["stored"] == 1


def test_pages_and_form_bodies_take_no_gzip(server: ServerProcess) -> None:
    page = requests.post(f"{server.url}/login/", data=gzip.compress(b"username=a&password=b"),
                         headers={"Content-Encoding": "gzip", "Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert page.status_code == 415
    form = requests.post(f"{server.url}/api/v1/keys", data=gzip.compress(b"name=x"), auth=("admin", "wrong"),
                         headers={"Content-Encoding": "gzip", "Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert form.status_code == 415
    assert "gzip" in form.json()["error"]
