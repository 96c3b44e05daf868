"""Faults that need no server: the training or background process killed, a server that never answers."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent import _spool
from agent._state import read_json
from tests.agent.conftest import run_dirs, run_script, spool_records


def wait_done(run_dir: Path, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = read_json(str(run_dir / "status.json")) or {}
        if status.get("phase") in ("done", "stopped"):
            return status
        time.sleep(0.05)
    raise AssertionError(
        f"the background process did not finish: {read_json(str(run_dir / 'status.json'))}"
    )


def test_every_row_logged_before_a_sigkill_is_kept_and_the_run_is_crashed(tmp_path: Path) -> None:
    result = run_script(
        """
        import os, signal, agent
        run = agent.init(project="p", mode="offline", settings={"quiet": True})
        for i in range(20000):
            run.log({"i": i, "x": 0.5})
        print("logged", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        tmp_path,
        check=False,
    )
    assert result.returncode == -9 and "logged" in result.stdout
    run_dir = run_dirs(tmp_path)[0]
    wait_done(run_dir)
    rows = spool_records(run_dir, kind=_spool.HISTORY)
    assert [r[2]["i"] for r in rows] == list(range(20000))
    state = read_json(str(run_dir / "state.json")) or {}
    assert state["scan"]["ended"] == {"exit_code": None, "state": "crashed"}


def test_a_killed_background_process_is_restarted_and_nothing_is_lost(tmp_path: Path) -> None:
    run_script(
        """
        import os, signal, time, agent
        run = agent.init(project="p", mode="offline", settings={"quiet": True})
        for i in range(5000):
            run.log({"i": i})
        time.sleep(0.5)
        os.kill(run._process.proc.pid, signal.SIGKILL)
        for i in range(5000, 10000):
            run.log({"i": i})
        time.sleep(2.5)  # the watchdog looks every second
        assert run._process.restarts == 1, run._process.restarts
        run.finish()
        """,
        tmp_path,
    )
    run_dir = run_dirs(tmp_path)[0]
    assert wait_done(run_dir)["phase"] == "done"
    rows = spool_records(run_dir, kind=_spool.HISTORY)
    assert [r[2]["i"] for r in rows] == list(range(10000))
    state = read_json(str(run_dir / "state.json")) or {}
    assert state["scan"]["counts"]["history"] == 10000
    assert state["scan"]["ended"] == {"exit_code": 0, "state": "finished"}


class _Silent(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _NeverAnswers(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        time.sleep(60)  # accept, read nothing, answer nothing: a stalled proxy


@pytest.fixture
def stalled_server() -> Iterator[str]:
    server = _Silent(("127.0.0.1", 0), _NeverAnswers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_server_that_never_answers_slows_nothing_and_finish_gives_up_quickly(
    tmp_path: Path, stalled_server: str
) -> None:
    result = run_script(
        """
        import json, time, agent
        run = agent.init(project="p", org="local", settings={"finish_timeout": 1.5})
        times = []
        for i in range(20000):
            t = time.perf_counter(); run.log({"i": i, "x": 1.0}); times.append(time.perf_counter() - t)
        times.sort()
        start = time.monotonic()
        run.finish()
        print(json.dumps({"p50": times[len(times) // 2], "finish": time.monotonic() - start}))
        """,
        tmp_path,
        env={"CAIRN_BASE_URL": stalled_server, "CAIRN_API_KEY": "cairn_x_y"},
    )
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    assert numbers["finish"] < 6.0
    assert numbers["p50"] < 200e-6  # generous: a busy CI machine; the benchmark checks the floor
    assert "cairn sync" in result.stderr
    run_dir = run_dirs(tmp_path)[0]
    assert len(spool_records(run_dir, kind=_spool.HISTORY)) == 20000
    # The background process is still trying; stop it, we are done here.
    status = read_json(str(run_dir / "status.json")) or {}
    import os
    import signal

    if status.get("pid"):
        try:
            os.kill(int(status["pid"]), signal.SIGKILL)
        except OSError:
            pass


def test_console_output_is_captured_and_progress_bars_stay_readable(tmp_path: Path) -> None:
    result = run_script(
        """
        import sys, agent
        run = agent.init(project="p", mode="offline", settings={"quiet": True})
        print("hello")
        for i in range(5):
            sys.stderr.write(f"\\r{i * 25}%|###")
        sys.stderr.write("\\n")
        print("partial", end="")
        run.finish()
        print("after")
        """,
        tmp_path,
    )
    assert "hello" in result.stdout and "after" in result.stdout
    lines = [(r[1], r[2]) for r in spool_records(run_dirs(tmp_path)[0], kind=_spool.CONSOLE)]
    assert lines == [("stdout", "hello"), ("stderr", "100%|###"), ("stdout", "partial")]
