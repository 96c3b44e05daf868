"""Errors go to Sentry when CAIRN_SENTRY_DSN is set, and carry no secrets or personal data.

The DSN points at a small HTTP receiver of the test's own (Sentry's envelope
endpoint as a test peer). A real server's upload fails for real: its object
store is a port nothing listens on.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.ci import unavailable
from tests.serverproc import ServerProcess, free_port, server_python

pytestmark = pytest.mark.server

S3_SECRET = "s3-secret-that-must-not-leak"


class Receiver:
    """Sentry's envelope endpoint: keeps every envelope it is sent, decompressed."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        received = self.envelopes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    import brotli  # type: ignore[import-not-found,unused-ignore]

                    body = brotli.decompress(body)
                received.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        out = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2]):
                if json.loads(header).get("type") == "event":
                    out.append(json.loads(payload))
        return out


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def test_a_server_error_reaches_sentry_without_secrets(receiver: Receiver, tmp_path: Path) -> None:
    if subprocess.run([server_python(), "-c", "import sentry_sdk"], capture_output=True).returncode != 0:
        unavailable("sentry-sdk is not installed in the server's Python (the `sentry` extra)")
    dead_store = f"http://127.0.0.1:{free_port()}"  # nothing listens: every upload fails
    server = ServerProcess(tmp_path / "server", extra_env={
        "CAIRN_SENTRY_DSN": f"http://publickey@127.0.0.1:{receiver.port}/42",
        "CAIRN_SENTRY_ENVIRONMENT": "test",
        "CAIRN_STORAGE": "s3", "CAIRN_S3_BUCKET": "b", "CAIRN_S3_ENDPOINT_URL": dead_store,
        "CAIRN_S3_ACCESS_KEY_ID": "AKIATESTKEY", "CAIRN_S3_SECRET_ACCESS_KEY": S3_SECRET,
        "CAIRN_S3_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1",
    })
    server.start(timeout=120)  # sentry-sdk's integrations load at start
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {server.api_key}"
        session.cookies.set("sessionid", "cookie-that-must-not-leak")
        run = f"{server.url}/api/v1/projects/{server.org}/sentry/runs/s1"
        assert session.put(run, json={}, timeout=10).status_code == 201
        body = b"secret training data"
        r = session.put(f"{run}/files/notes.txt?token=query-that-must-not-leak", data=body, timeout=60, headers={
            "X-Cairn-Sha256": hashlib.sha256(body).hexdigest(), "X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == 500, r.text

        deadline = time.monotonic() + 30
        # The request's event (the worker reports its own failures too: reconciliation cannot list the store).
        while not (events := [e for e in receiver.events() if "request" in e]):
            assert time.monotonic() < deadline, f"no event reached the DSN\n{server.log_tail()}"
            time.sleep(0.2)
        (event, *_) = events
        assert event["environment"] == "test"
        assert event["exception"]["values"], event
        assert event["request"]["url"].endswith("/files/notes.txt")
        everything = b"".join(receiver.envelopes)
        for secret in (server.api_key, "e2e-test-secret", S3_SECRET, "cookie-that-must-not-leak",
                       "query-that-must-not-leak", "203.0.113.9", "secret training data"):
            assert secret.encode() not in everything, secret
        assert "user" not in event and "cookies" not in event["request"] and "data" not in event["request"]
        headers = {k.lower() for k in event["request"].get("headers", {})}
        assert not headers & {"authorization", "cookie", "x-forwarded-for"}
    finally:
        server.cleanup()
