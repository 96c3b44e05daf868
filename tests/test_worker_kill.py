"""A Celery worker SIGKILLed with a thousand media queued: once it is back, every item is
processed, exactly once in effect (one thumbnail each, none failed), within a minute.

The web process and the worker run apart, as in production (`cairn-server web` and
`cairn-server worker` on Redis), so the worker can die alone. Its periodic tasks
(`runs.media_requeue`) come from the worker itself, as in `make run`.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.media.servers import Client, media_rows, png
from tests.serverproc import ServerProcess, server_python
from tests.test_broker_outage import Redis, redis  # noqa: F401  (fixture)

pytestmark = pytest.mark.server

# The floor's thousand takes about 2.5 minutes on the 2-core test machine, most of it
# uploading: bench/worker_kill_bench.py runs this test with 1,000; `make test` with fewer.
COUNT = int(os.environ.get("CAIRN_WORKER_KILL_MEDIA", "200"))
BATCH = 100  # history records a request


class Worker:
    def __init__(self, server: ServerProcess, log: Path) -> None:
        self.server = server
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**self.server.env, "CAIRN_EMBEDDED_SCHEDULE": "true"}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [server_python(), "-m", "celery", "-A", "webapp", "worker", "--pool", "prefork", "--concurrency", "2",
                 "-Q", "default,history,files,media,scoring", "--without-gossip", "--without-mingle", "-n", "w@%h"],
                cwd=str(self.server.data_dir), env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # its pool processes die with it
            )

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()


def _statuses(server: ServerProcess, run_id: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in media_rows(server, run_id):
        out[row["status"]] = out.get(row["status"], 0) + 1
    return out


def test_a_worker_killed_with_a_thousand_media_queued_leaves_none_undone(redis: Redis, tmp_path: Path) -> None:  # noqa: F811
    server = ServerProcess(tmp_path / "server", command=[server_python(), "-m", "webapp.serve", "--no-worker"], extra_env={
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/0", "CAIRN_STORAGE": "local",
        "CAIRN_DEAD_RUN_CHECK_INTERVAL": "2",  # the periodic tasks' pace; media's requeue delay stays its default
    })
    server.start()
    worker = Worker(server, tmp_path / "worker.log")
    try:
        client = Client(server, "kill", "many")
        image = png(24, 16, seed=3)
        sha = hashlib.sha256(image).hexdigest()
        paths = [f"media/image/img/{i}-0-{i:x}.png" for i in range(COUNT)]
        for start in range(0, COUNT, BATCH):
            records = [{"step": i, "time": 1.0 + i, "data": {"img": {"_type": "image", "path": paths[i], "sha256": sha,
                                                                      "size": len(image)}}}
                       for i in range(start, min(start + BATCH, COUNT))]
            r = client.session.post(f"{client.url}/streams/history", json={"offset": start, "records": records}, timeout=30)
            assert r.status_code == 200, r.text
        started = time.monotonic()
        for path in paths:
            assert client.upload(path, image).status_code == 201
        uploads = time.monotonic() - started
        assert _statuses(server, "many") == {"pending": COUNT}  # all queued, no worker yet

        worker.start()
        deadline = time.monotonic() + 60
        while _statuses(server, "many").get("ready", 0) < COUNT // 10:
            assert time.monotonic() < deadline, worker.log.read_text()[-3000:]
            time.sleep(0.05)
        worker.kill()  # mid-way: tasks running, others reserved and unacknowledged, most still queued
        at_kill = _statuses(server, "many")
        assert at_kill.get("pending", 0) > 0, f"all done before the kill: {at_kill}"

        worker.start()
        back = time.monotonic()
        while (now := _statuses(server, "many")).get("pending", 0):
            assert time.monotonic() - back < 60, f"{now} after 60 s; at the kill {at_kill}"
            time.sleep(0.5)
        took = time.monotonic() - back
        rows = media_rows(server, "many")
        assert {r["status"] for r in rows} == {"ready"}, {r["status"] for r in rows}
        assert len(rows) == COUNT
        # Exactly once in effect: one thumbnail file per item, whatever ran twice.
        thumbs = [p for p in (server.data_dir / "files" / "thumbnails").rglob("*") if p.is_file()]
        assert len(thumbs) == COUNT
        assert sorted(p.name for p in thumbs) == sorted(Path(r["thumbnail"]).name for r in rows)
        print(f"\n{COUNT} media uploaded in {uploads:.1f} s; {at_kill} at the kill; "
              f"all ready {took:.1f} s after the worker's return")
    except Exception as e:
        raise AssertionError(f"{e}\nserver log:\n{server.log_tail()}\nworker log:\n"
                             f"{(tmp_path / 'worker.log').read_text(errors='replace')[-4000:]}") from e
    finally:
        worker.stop()
        server.cleanup()
