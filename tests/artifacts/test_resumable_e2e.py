"""Resumable uploads against a real server (gunicorn): a connection dropped mid-file, then resumed."""

from __future__ import annotations

import os
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.artifacts.helpers import sha
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server


def test_an_upload_cut_mid_file_resumes_from_the_servers_offset(cairn_server: ServerProcess) -> None:
    auth = {"Authorization": f"Bearer {cairn_server.api_key}"}
    base = f"{cairn_server.url}/api/v1/projects/local/resume/artifacts"
    assert requests.put(f"{cairn_server.url}/api/v1/projects/local/resume/runs/r1", json={}, headers=auth).status_code == 201
    data = os.urandom(6 * 1024 * 1024)
    digest = sha(data)
    opened = requests.post(f"{base}/blobs/uploads", json={"sha256": digest, "size": len(data)}, headers=auth).json()
    assert opened == {"sha256": digest, "size": len(data), "offset": 0, "done": False}
    # Send 4 MB of the 6 MB announced, then drop the connection.
    url = urlsplit(f"{base}/blobs/uploads/{digest}?offset=0")
    with socket.create_connection((url.hostname, url.port)) as conn:
        head = (f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: {auth['Authorization']}\r\n"
                f"Content-Type: application/octet-stream\r\nContent-Length: {len(data)}\r\n\r\n")
        conn.sendall(head.encode() + data[: 4 * 1024 * 1024])
        time.sleep(0.5)
    deadline = time.monotonic() + 20
    while True:  # the server keeps what arrived
        offset = requests.post(f"{base}/blobs/uploads", json={"sha256": digest, "size": len(data)}, headers=auth).json()["offset"]
        if offset == 4 * 1024 * 1024 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert offset == 4 * 1024 * 1024
    # A part from anywhere else is refused with the offset to use.
    wrong = requests.put(f"{base}/blobs/uploads/{digest}", params={"offset": 0}, data=data, headers=auth)
    assert wrong.status_code == 409 and wrong.json()["offset"] == offset
    rest = requests.put(f"{base}/blobs/uploads/{digest}", params={"offset": offset}, data=data[offset:], headers=auth)
    assert rest.status_code == 200 and rest.json()["done"] is True, rest.text
    assert requests.post(f"{base}/blobs/missing", json={"digests": [digest]}, headers=auth).json() == {"missing": []}
    commit = requests.post(f"{base}/", json={"name": "weights", "type": "model",
                                             "manifest": [{"path": "w.bin", "digest": digest, "size": len(data)}]}, headers=auth)
    assert commit.status_code == 201, commit.text
    assert requests.get(f"{base}/blobs/{digest}", headers=auth).content == data


def test_a_resumed_upload_whose_bytes_differ_is_refused(cairn_server: ServerProcess) -> None:
    auth = {"Authorization": f"Bearer {cairn_server.api_key}"}
    base = f"{cairn_server.url}/api/v1/projects/local/resume/artifacts"
    requests.put(f"{cairn_server.url}/api/v1/projects/local/resume/runs/r2", json={}, headers=auth)
    data = os.urandom(100_000)
    digest = sha(data)
    assert requests.post(f"{base}/blobs/uploads", json={"sha256": digest, "size": len(data)}, headers=auth).ok
    first = requests.put(f"{base}/blobs/uploads/{digest}", params={"offset": 0}, data=data[:50_000], headers=auth)
    assert first.json() == {"sha256": digest, "offset": 50_000, "done": False}
    corrupt = requests.put(f"{base}/blobs/uploads/{digest}", params={"offset": 50_000}, data=b"x" * 50_000, headers=auth)
    assert corrupt.status_code == 400
    assert requests.post(f"{base}/blobs/missing", json={"digests": [digest]}, headers=auth).json() == {"missing": [digest]}
    again = requests.post(f"{base}/blobs/uploads", json={"sha256": digest, "size": len(data)}, headers=auth).json()
    assert again["offset"] == 0  # started over
