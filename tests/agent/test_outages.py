"""A real server that goes away, or stalls, in the middle of a run.

The training script below logs paced rows and times every ``log()`` call,
filing each time under the phase the test has announced (a marker file in
its folder): so the latency with the server up is compared with the latency
while it is down, or stalled, in one process on one machine. The rows are
then read back from the server: each exactly once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

import pytest

import agent
from tests.agent.conftest import ROOT

pytestmark = pytest.mark.server

# Phases are announced by creating `phase-<name>`; `phase-end` ends the loop.
# Rows are paced (50 calls, then 50 ms asleep) the same in every phase, so
# the phases differ only in what the server does.
TRAIN = """
import json, os, sys, time, agent

run_id, phases = sys.argv[1], sys.argv[2].split(",")
run = agent.init(project="e2e", id=run_id, settings={"finish_timeout": 90, "quiet": True})
clock = time.perf_counter_ns
times = {name: [] for name in phases}
i = 0
for _ in range(500):  # warm up: none of these is timed
    run.log({"i": i})
    i += 1
open("started", "w").close()
phase = phases[0]
while not os.path.exists("phase-end"):
    for name in phases:
        if os.path.exists("phase-" + name):
            phase = name
    bucket = times[phase]
    for _ in range(50):
        t = clock()
        run.log({"i": i})
        bucket.append(clock() - t)
        i += 1
    time.sleep(0.05)
start = time.monotonic()
run.finish()
stats = {"rows": i, "finish_s": time.monotonic() - start}
for name, ns in times.items():
    ns.sort()
    stats[name] = {
        "n": len(ns),
        "p50": ns[len(ns) // 2] / 1e9,
        "p99": ns[len(ns) * 99 // 100] / 1e9,
        "mean": sum(ns) / len(ns) / 1e9,
        "max": ns[-1] / 1e9,
    }
with open("stats.json", "w") as fh:
    json.dump(stats, fh)
"""


class Training:
    """The training script above, in its own process, and the phases it is told."""

    def __init__(self, cwd: Path, server: Any, base_url: str, run_id: str, phases: list[str]):
        self.cwd = cwd
        (cwd / "train.py").write_text(TRAIN)
        env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            CAIRN_BASE_URL=base_url,
            CAIRN_API_KEY=server.api_key,
            CAIRN_ORG=server.org,
        )
        self.proc = subprocess.Popen(
            [sys.executable, "train.py", run_id, ",".join(phases)], cwd=str(cwd), env=env
        )
        deadline = time.monotonic() + 60
        while not (cwd / "started").exists():
            assert self.proc.poll() is None, "the training script died"
            assert time.monotonic() < deadline, "the training script did not start"
            time.sleep(0.05)

    def phase(self, name: str) -> None:
        (self.cwd / f"phase-{name}").touch()

    def stats(self, timeout: float) -> dict[str, Any]:
        self.phase("end")
        assert self.proc.wait(timeout=timeout) == 0
        stats: dict[str, Any] = json.loads((self.cwd / "stats.json").read_text())
        return stats


def assert_not_slower(quiet: dict[str, float], loud: dict[str, float]) -> None:
    """``log()`` with the server in trouble (``loud``) is as fast as with the server up.

    Bounds with room for a busy two-core CI machine, yet far below the cost
    of any network call: a refused connection costs ~100 µs, a timeout seconds,
    and a blocking log() would show in the mean even if only a few calls waited.
    """
    assert loud["n"] >= 5000, loud
    assert loud["p50"] <= 2 * quiet["p50"] + 5e-6, (quiet, loud)
    assert loud["p99"] <= 2 * quiet["p99"] + 50e-6, (quiet, loud)
    assert loud["mean"] <= 2 * quiet["mean"] + 20e-6, (quiet, loud)


def assert_stored_once(server: Any, run_id: str, rows: int) -> Any:
    run = agent.Api(base_url=server.url, api_key=server.api_key).run(f"{server.org}/e2e/{run_id}")
    assert [r["i"] for r in run.scan_history()] == list(range(rows))
    assert run.streams["history"] == rows and run.state == "finished"
    return run


def test_a_server_killed_for_a_minute_slows_no_log_call_and_loses_nothing(
    fresh_server: Any, tmp_path: Path
) -> None:
    training = Training(
        tmp_path, fresh_server, fresh_server.url, "outage-1", ["up", "down", "back"]
    )
    time.sleep(3.0)  # uploads going on
    fresh_server.kill()
    training.phase("down")
    time.sleep(60.0)
    training.phase("back")
    fresh_server.start()
    stats = training.stats(timeout=120)
    print(json.dumps(stats, indent=1))
    assert_not_slower(stats["up"], stats["down"])
    assert_stored_once(fresh_server, "outage-1", stats["rows"])


class StallingProxy:
    """A TCP proxy in front of a real server that can be told to stall.

    While stalled it accepts connections and never answers: a connection
    opened during a stall is read and never forwarded; one open when the
    stall begins still carries the client's requests to the server, whose
    answers are swallowed (the server did the work, the client never hears).
    Either stays silent for good; only connections opened after ``resume()``
    work, so the client must time out to recover.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stalled = False
        self.swallowed = 0  # bytes of answers the server sent and the client never got
        self.lock = threading.Lock()
        self.live: list[dict[str, Any]] = []
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stall(self) -> None:
        with self.lock:
            self.stalled = True
            for conn in self.live:
                conn["silent"] = True

    def resume(self) -> None:
        with self.lock:
            self.stalled = False

    def close(self) -> None:
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.close()
                except OSError:
                    pass

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                conn = {"silent": self.stalled}
                self.live.append(conn)
                self.sockets.append(client)
            threading.Thread(target=self._serve, args=(client, conn), daemon=True).start()

    def _serve(self, client: socket.socket, conn: dict[str, Any]) -> None:
        upstream: Optional[socket.socket] = None
        if not conn["silent"]:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self.lock:
                self.sockets.append(upstream)
            threading.Thread(
                target=self._answers, args=(upstream, client, conn), daemon=True
            ).start()
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                if upstream is None:
                    continue
                try:
                    upstream.sendall(data)
                except OSError:
                    if not conn["silent"]:
                        break
                    upstream = None  # the server hung up: stay silent all the same
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass
            with self.lock:
                self.live.remove(conn)

    def _answers(
        self, upstream: socket.socket, client: socket.socket, conn: dict[str, Any]
    ) -> None:
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                if conn["silent"]:
                    self.swallowed += len(data)
                else:
                    client.sendall(data)
        except OSError:
            pass
        if not conn["silent"]:
            try:
                client.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def test_a_stalled_proxy_slows_no_log_call_and_uploads_resume_when_it_recovers(
    cairn_server: Any, tmp_path: Path
) -> None:
    proxy = StallingProxy(cairn_server.port)
    try:
        training = Training(tmp_path, cairn_server, proxy.url, "stall-1", ["up", "stalled", "back"])
        time.sleep(3.0)
        proxy.stall()
        training.phase("stalled")
        time.sleep(10.0)
        proxy.resume()
        training.phase("back")
        recovered = time.monotonic()
        time.sleep(1.0)
        stats = training.stats(timeout=90)
        print(json.dumps(stats, indent=1))
        # A request silenced by the stall times out (15 s for uploads), then
        # the backoff: the run is uploaded and finished soon after.
        assert time.monotonic() - recovered < 30
    finally:
        proxy.close()
    assert proxy.swallowed > 0  # the server stored a batch the agent never heard about
    assert_not_slower(stats["up"], stats["stalled"])
    assert_stored_once(cairn_server, "stall-1", stats["rows"])
