"""A broker outage delays work and loses none: a real server on a Redis of the
test's own, which the test stops and brings back empty (a restart without
persistence)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.ci import unavailable
from tests.media.servers import Client, png, wait_media
from tests.serverproc import ServerProcess, free_port

pytestmark = pytest.mark.server


class Redis:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip() != b"PONG":
            assert time.monotonic() < deadline, "redis did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # a crash: what it held in memory is gone
            self.proc.wait()
            self.proc = None


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    r = Redis(tmp_path)
    r.start()
    yield r
    r.stop()


def _ready(server: ServerProcess) -> Any:
    return requests.get(f"{server.url}/api/v1/ready", timeout=10).json()


def test_finish_and_media_survive_a_broker_that_goes_down_and_comes_back_empty(redis: Redis, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server", extra_env={
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/0", "CAIRN_DEAD_RUN_CHECK_INTERVAL": "2",
    })
    server.start()
    try:
        client = Client(server, "outage", "o1")
        client.log(0, {"loss": 1.0})
        redis.stop()
        image = png(64, 48, seed=1)
        started = time.monotonic()
        assert client.media(1, "img", "image", "media/image/img/1-0-a.png", image).status_code == 201
        finish = client.session.post(f"{client.url}/finish", json={"exit_code": 0}, timeout=30)
        assert finish.status_code == 200, finish.text  # never a 500 for a broker that is down
        assert time.monotonic() - started < 20  # and no long wait on it either
        down = _ready(server)
        assert down["checks"]["broker"] == "unreachable" and down["tasks"]["waiting"] >= 1

        redis.start()  # back, empty
        back = time.monotonic()
        while True:
            state = _ready(server)
            if state["status"] == "ready" and state["tasks"]["waiting"] == 0:
                break
            assert time.monotonic() - back < 60, state
            time.sleep(1)
        (item,) = wait_media(server, "o1", 1, timeout=max(1.0, 60 - (time.monotonic() - back)))
        assert item["status"] == "ready" and (item["width"], item["height"]) == (64, 48)
        assert time.monotonic() - back < 60
        run = client.session.get(client.url, timeout=10).json()
        assert run["state"] == "finished"
    finally:
        server.cleanup()
