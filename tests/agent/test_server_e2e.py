"""The agent against a real running server."""

from __future__ import annotations

import json
import os
import random
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import agent
from agent import _spool
from agent._state import read_json
from tests.agent.conftest import ROOT, run_dirs, run_script
from tests.agent.test_faults import wait_done

pytestmark = pytest.mark.server


def _env(server: Any) -> dict[str, str]:
    return {"CAIRN_BASE_URL": server.url, "CAIRN_API_KEY": server.api_key, "CAIRN_ORG": server.org}


def _api(server: Any) -> agent.Api:
    return agent.Api(base_url=server.url, api_key=server.api_key)


def _cairn(args: list[str], server: Any, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **_env(server))
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        cwd=str(cwd),
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
    )


def test_a_run_appears_with_everything_it_logged(cairn_server: Any, tmp_path: Path) -> None:
    run_script(
        """
        import agent
        with agent.init(project="e2e", id="full-1", config={"lr": 0.1}, tags=["a"], group="g") as run:
            run.config.batch = 8
            agent.define_metric("loss", summary="min")
            for i in range(3000):
                agent.log({"loss": 1.0 / (i + 1) if i != 5 else float("nan"), "acc": {"train": i / 3000}})
            run.summary["note"] = "done"
            print("console line")
            open("weights.bin", "wb").write(b"0" * 1000)
            agent.save("weights.bin", policy="end")
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    run = _api(cairn_server).run(f"{cairn_server.org}/e2e/full-1")
    assert run.state == "finished"
    assert run.config == {"lr": 0.1, "batch": 8}
    assert run.group == "g" and run.tags == ["a"]
    assert run.summary["note"] == "done" and run.summary["loss"] == pytest.approx(1 / 3000)
    rows = list(run.scan_history())
    assert len(rows) == 3000 and rows[5]["loss"] != rows[5]["loss"]  # NaN came back as NaN
    assert rows[10]["acc/train"] == pytest.approx(10 / 3000)
    assert {"weights.bin", "requirements.txt"} <= {f.name for f in run.files()}
    assert any(line["line"] == "console line" for line in run.console())
    downloaded = run.file("weights.bin").download(root=str(tmp_path / "dl"))
    assert Path(downloaded.name).read_bytes() == b"0" * 1000


def test_an_offline_run_synced_twice_is_stored_once(cairn_server: Any, tmp_path: Path) -> None:
    run_script(
        """
        import agent
        run = agent.init(project="e2e", id="offline-1", mode="offline")
        for i in range(2500):
            run.log({"i": i})
        run.finish()
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    first = _cairn(["sync", "--all"], cairn_server, tmp_path)
    assert first.returncode == 0, first.stderr
    # Forget what was acknowledged: the server must still store nothing twice.
    run_dir = run_dirs(tmp_path)[0]
    state = read_json(str(run_dir / "state.json")) or {}
    state["upload"]["acked"] = {"history": 0, "console": 0, "system": 0}
    state["upload"]["cursors"] = {}
    state["upload"]["finished"] = False
    (run_dir / "state.json").write_text(json.dumps(state))
    second = _cairn(["sync", str(run_dir)], cairn_server, tmp_path)
    assert second.returncode == 0, second.stderr
    run = _api(cairn_server).run(f"{cairn_server.org}/e2e/offline-1")
    assert run.streams["history"] == 2500 and run.state == "finished"
    assert [r["i"] for r in run.scan_history()] == list(range(2500))


def test_a_torn_spool_syncs_everything_before_the_tear(cairn_server: Any, tmp_path: Path) -> None:
    run_script(
        """
        import agent
        run = agent.init(project="e2e", id="torn-1", mode="offline")
        for i in range(1000):
            run.log({"i": i})
        run.finish()
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    run_dir = run_dirs(tmp_path)[0]
    segment = _spool.segment_path(str(run_dir), "spool", 0)
    # Tear the file in the middle of the 501st history record.
    reader = _spool.Reader(str(run_dir), "spool")
    got = reader.read(max_records=500, kind=_spool.HISTORY)
    cut = got[-1][2][1] + 12
    with open(segment, "r+b") as fh:
        fh.truncate(cut)
    state = read_json(str(run_dir / "state.json")) or {}
    state.pop("scan")
    state["final"] = False
    (run_dir / "state.json").write_text(json.dumps(state))
    result = _cairn(["sync", str(run_dir)], cairn_server, tmp_path)
    assert result.returncode == 0, result.stderr
    run = _api(cairn_server).run(f"{cairn_server.org}/e2e/torn-1")
    assert [r["i"] for r in run.scan_history()] == list(range(500))
    assert run.state == "crashed"


def test_a_training_process_killed_at_a_random_moment_keeps_every_row_log_returned(
    cairn_server: Any, tmp_path: Path
) -> None:
    # After each log() returns, the script writes the step into a shared
    # memory map: like the spool, it outlives a SIGKILL, and costs no syscall.
    (tmp_path / "train.py").write_text(
        textwrap.dedent(
            """
            import mmap, os, struct, time, agent
            fd = os.open("returned.bin", os.O_RDWR | os.O_CREAT)
            os.ftruncate(fd, 8)
            returned = mmap.mmap(fd, 8)
            mark = struct.Struct("<q").pack_into
            mark(returned, 0, -1)
            run = agent.init(project="e2e", id="killed-1")
            i = 0
            while True:
                run.log({"i": i})
                mark(returned, 0, i)
                i += 1
                if i % 20 == 0:
                    time.sleep(0.001)
            """
        )
    )
    proc = subprocess.Popen(
        [sys.executable, "train.py"],
        cwd=str(tmp_path),
        env=dict(os.environ, PYTHONPATH=str(ROOT), **_env(cairn_server)),
    )
    counter = tmp_path / "returned.bin"
    deadline = time.monotonic() + 30
    while not counter.exists() or struct.unpack("<q", counter.read_bytes())[0] < 1000:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(random.uniform(0.0, 1.5))
    proc.kill()
    assert proc.wait() == -9
    last_returned = struct.unpack("<q", counter.read_bytes())[0]
    wait_done(run_dirs(tmp_path)[0], timeout=60)
    run = _api(cairn_server).run(f"{cairn_server.org}/e2e/killed-1")
    assert run.state == "crashed"
    stored = [r["i"] for r in run.scan_history()]
    # Every row whose log() returned, in order, once; at most one more: the
    # call under way when the kill came may have written its record.
    assert stored == list(range(len(stored)))
    assert last_returned + 1 <= len(stored) <= last_returned + 2, (last_returned, len(stored))


def test_a_killed_background_process_is_restarted_and_the_server_gets_every_row_once(
    cairn_server: Any, tmp_path: Path
) -> None:
    result = run_script(
        """
        import json, os, signal, time, agent
        run = agent.init(project="e2e", id="bg-killed-1")
        times = []
        for i in range(30000):
            if i == 10000:  # mid-upload: the server may have stored a batch it never acknowledged
                os.kill(run._process.proc.pid, signal.SIGKILL)
            t = time.perf_counter()
            run.log({"i": i})
            times.append(time.perf_counter() - t)
            if i % 50 == 0:
                time.sleep(0.005)
        assert run._process.restarts == 1, run._process.restarts
        run.finish()
        times.sort()
        print(json.dumps({"p50": times[len(times) // 2]}))
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    assert "internal error" not in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["p50"] < 200e-6
    run = _api(cairn_server).run(f"{cairn_server.org}/e2e/bg-killed-1")
    assert [r["i"] for r in run.scan_history()] == list(range(30000))
    assert run.streams["history"] == 30000 and run.state == "finished"
    assert "background process exited" in (run_dirs(tmp_path)[0] / "debug.log").read_text()


def test_resume_continues_the_history(cairn_server: Any, tmp_path: Path) -> None:
    code = """
        import agent
        run = agent.init(project="e2e", id="resume-1", resume="allow")
        for i in range(100):
            run.log({"x": i})
        run.finish()
        """
    run_script(code, tmp_path, env=_env(cairn_server))
    run_script(code, tmp_path, env=_env(cairn_server))
    run = _api(cairn_server).run(f"{cairn_server.org}/e2e/resume-1")
    steps = [r["_step"] for r in run.scan_history()]
    assert steps == list(range(200)) and run.last_step == 199


def test_text_the_server_cannot_store_arrives_as_replacement_characters(cairn_server: Any, tmp_path: Path) -> None:
    # A file name that is not UTF-8, decoded with surrogateescape as os.listdir does,
    # and a NUL: the server refuses both (400), so the agent sends U+FFFD instead.
    run_script(
        r"""
        import agent
        name = b"data-\xff.bin".decode("utf-8", "surrogateescape")
        with agent.init(project="e2e", id="unstorable-1", config={"file": name}) as run:
            agent.log({"loss": 0.5, "note": "a\x00b"})
            print("nul\x00here")
            run.summary["file"] = name
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    run = _api(cairn_server).run(f"{cairn_server.org}/e2e/unstorable-1")
    assert run.state == "finished"
    assert run.config == {"file": "data-\ufffd.bin"}
    assert run.summary["file"] == "data-\ufffd.bin"
    assert [row["note"] for row in run.scan_history()] == ["a\ufffdb"]
    lines = [line["line"] for line in run.console()]
    assert "nul\ufffdhere" in lines
