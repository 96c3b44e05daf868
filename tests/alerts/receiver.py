"""A real local HTTP receiver for webhooks, and a real local SMTP sink (aiosmtpd in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers every POST with `status`, and keeps what it got."""

    status: int = 200
    got: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.arrived:
                    receiver.got.append(Received(self.path, dict(self.headers), body, time.monotonic()))
                    receiver.arrived.notify_all()
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"receiver says no " * 100)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def wait(self, n: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.got) < n and time.monotonic() < deadline:
                self.arrived.wait(deadline - time.monotonic())
        return list(self.got)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


SMTP_SINK = """
import sys, time
from aiosmtpd.controller import Controller

class Sink:
    async def handle_DATA(self, server, session, envelope):
        with open(sys.argv[2], "a") as f:
            f.write(repr((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace"))) + "\\n")
        return "250 OK"

c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"""


class SmtpSink:
    """aiosmtpd in its own process: every message it accepts is appended to a file."""

    def __init__(self, folder: Path, port: int) -> None:
        self.port = port
        self.path = folder / "mail.txt"
        self.path.touch()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SMTP_SINK, str(port), str(self.path)], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def messages(self, n: int = 1, timeout: float = 10.0) -> list[tuple[list[str], str]]:
        import ast

        deadline = time.monotonic() + timeout
        while True:
            lines = [ln for ln in self.path.read_text().splitlines() if ln]
            if len(lines) >= n or time.monotonic() > deadline:
                return [ast.literal_eval(ln) for ln in lines]
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
