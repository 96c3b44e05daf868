"""Real workers: one killed mid-task, and the embedded default against a worker on Redis."""

from __future__ import annotations

import hashlib
import io
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest
from PIL import Image

from tests.media.servers import (
    Client,
    gif,
    isolated_env,
    media_rows,
    png,
    redis_url,
    wait_media,
    wav,
)
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server


def big_png() -> bytes:
    """An 8000×8000 PNG: small to send, about a second for a worker to decode and thumbnail."""
    pixels = np.zeros((8000, 8000, 3), dtype=np.uint8)
    pixels[..., 0] = (np.arange(8000) % 256)[:, None]
    pixels[..., 1] = (np.arange(8000) % 256)[None, :]
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def worker_process(server: ServerProcess) -> psutil.Process:
    assert server.proc is not None
    for child in psutil.Process(server.proc.pid).children(recursive=True):
        if "celery" in " ".join(child.cmdline()) and "worker" in child.cmdline():
            return child
    raise AssertionError("no Celery worker under the server")


def test_a_worker_killed_mid_task_runs_it_again_and_finishes_once(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server", extra_env=isolated_env(
        CAIRN_DEAD_RUN_CHECK_INTERVAL="1", CAIRN_MEDIA_REQUEUE_AFTER="3",
    ))
    server.start()
    try:
        client = Client(server, "kill", "k1")
        assert client.media(0, "big", "image", "media/image/big/0-0-a.png", big_png()).status_code == 201
        deadline = time.monotonic() + 60
        while True:  # the task has started: it counted its attempt and is decoding
            rows = media_rows(server, "k1")
            if rows and rows[0]["attempts"] >= 1:
                break
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.02)
        killed = worker_process(server)
        killed.send_signal(signal.SIGKILL)
        assert media_rows(server, "k1")[0]["status"] == "pending", "finished before the kill: make the task longer"
        # The supervisor (`make run`'s) starts a new worker; the web server never stopped.
        deadline = time.monotonic() + 30
        while True:
            try:
                if worker_process(server).pid != killed.pid:
                    break
            except (AssertionError, psutil.NoSuchProcess):
                pass
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.2)
        assert server.healthy() and "The Cairn worker exited" in server.log_tail()
        [row] = wait_media(server, "k1", 1)
        assert row["status"] == "ready" and row["attempts"] >= 2, row
        assert (row["width"], row["height"]) == (8000, 8000)
        if server.env.get("CAIRN_STORAGE", "local") == "local":
            thumbs = [p for p in (server.data_dir / "files" / "thumbnails").rglob("*") if p.is_file()]
            assert [p.name for p in thumbs] == [Path(row["thumbnail"]).name]
    except Exception as e:
        raise AssertionError(f"{e!r}\nserver log:\n{server.log_tail()}") from e
    finally:
        server.cleanup()


def _uploads(client: Client) -> None:
    client.media(0, "img", "image", "media/image/img/0-0-a.png", png(300, 200, seed=1))
    client.media(0, "corrupt", "image", "media/image/corrupt/0-0-b.png", png(30, 20)[:80] + b"\0" * 50)
    client.media(1, "bomb", "image", "media/image/bomb/1-0-c.png", _bomb())
    client.media(1, "clip", "video", "media/video/clip/1-0-d.gif", gif(), fps=10)
    client.media(2, "sound", "audio", "media/audio/sound/2-0-e.wav", wav(), sample_rate=8000)
    client.media(2, "notvideo", "video", "media/video/notvideo/2-0-f.mp4", b"just some text, really")
    client.media(3, "t", "table", "media/table/t/3-0-g.table.json", b'{"columns": ["a"], "data": [[1], [2]]}')


def _bomb() -> bytes:
    import struct
    import zlib

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def _result(server: ServerProcess) -> list[dict[str, Any]]:
    rows = wait_media(server, "same", 7)
    out = []
    for r in rows:
        thumb = server.data_dir / "files" / r["thumbnail"] if r["thumbnail"] else None
        out.append({
            **{k: r[k] for k in ("key", "step", "kind", "status", "error", "content_type", "size", "width", "height")},
            "duration": round(r["duration"], 3) if r["duration"] is not None else None,
            "thumbnail": hashlib.sha256(thumb.read_bytes()).hexdigest() if thumb else None,
        })
    return out


def test_the_embedded_default_and_a_worker_on_redis_give_the_same_result(tmp_path: Path) -> None:
    url = redis_url()
    results = []
    for name, broker in (("embedded", "filesystem://localhost//"), ("redis", url)):
        env = isolated_env(CELERY_BROKER_URL=broker)
        server = ServerProcess(tmp_path / name, extra_env={**env, "CAIRN_STORAGE": "local"})
        server.start()
        try:
            _uploads(Client(server, "same", "same"))
            results.append(_result(server))
        finally:
            server.cleanup()
    embedded, redis = results
    assert embedded == redis
    statuses = {r["key"]: (r["status"], r["error"][:40]) for r in embedded}
    assert statuses["img"] == ("ready", "") and statuses["clip"] == ("ready", "") and statuses["sound"] == ("ready", "")
    assert statuses["t"] == ("ready", "")
    assert {statuses[k][0] for k in ("corrupt", "bomb", "notvideo")} == {"failed"}
