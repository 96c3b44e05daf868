"""Talking to a real server process in the media tests: its API, and its database directly."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import time
import uuid
import wave
from typing import Any

import requests
from PIL import Image

from tests.ci import unavailable
from tests.serverproc import ServerProcess

COLUMNS = ("id", "key", "step", "index", "kind", "path", "status", "error", "content_type", "size", "width", "height",
           "duration", "thumbnail", "attempts", "processed_at")


def redis_url() -> str:
    """A Redis to run a worker on: CELERY_BROKER_URL's, else a local one; unavailable if none."""
    import redis

    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis"):
        url = "redis://127.0.0.1:6379/7"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as e:
        unavailable(f"no Redis at {url}", ci=f"Redis at {url} is needed under CI: {e}")
    return url


def isolated_env(**extra: str) -> dict[str, str]:
    """Server settings that keep its tasks away from any other server on the same Redis."""
    return {"CAIRN_BROKER_KEY_PREFIX": f"cairn-test-{uuid.uuid4().hex[:8]}:", **extra}


def media_rows(server: ServerProcess, run_id: str) -> list[dict[str, Any]]:
    url = server.env["DATABASE_URL"]
    cols = ", ".join(f'm."{c}"' for c in COLUMNS)
    sql = f'SELECT {cols} FROM runs_media m JOIN runs_run r ON r.id = m.run_id WHERE r.run_id = {{}} ORDER BY m.key, m.step, m."index"'
    if url.startswith("sqlite"):
        con = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
        try:
            rows = con.execute(sql.format("?"), (run_id,)).fetchall()
        finally:
            con.close()
    else:
        import psycopg

        with psycopg.connect(url) as con:
            rows = con.execute(sql.format("%s"), (run_id,)).fetchall()
    return [dict(zip(COLUMNS, row)) for row in rows]


def wait_media(server: ServerProcess, run_id: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = media_rows(server, run_id)
        if len(rows) >= count and all(r["status"] != "pending" for r in rows):
            return rows
        time.sleep(0.2)
    raise AssertionError(f"media not processed in {timeout}s: {rows}\n{server.log_tail()}")


class Client:
    """One run of a server, driven through the API as the agent would."""

    def __init__(self, server: ServerProcess, project: str, run_id: str) -> None:
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {server.api_key}"
        self.url = f"{server.url}/api/v1/projects/{server.org}/{project}/runs/{run_id}"
        self.offset = 0
        assert self.session.put(self.url, json={}, timeout=10).status_code == 201  # a new run

    def log(self, step: int, data: dict[str, Any]) -> None:
        body = {"offset": self.offset, "records": [{"step": step, "time": 1.0 + step, "data": data}]}
        r = self.session.post(f"{self.url}/streams/history", json=body, timeout=10)
        assert r.status_code == 200, r.text
        self.offset += 1

    def upload(self, path: str, body: bytes) -> requests.Response:
        headers = {"X-Cairn-Sha256": hashlib.sha256(body).hexdigest(), "Content-Type": "application/octet-stream"}
        return self.session.put(f"{self.url}/files/{path}", data=body, headers=headers, timeout=30)

    def media(self, step: int, key: str, kind: str, path: str, body: bytes, **facts: Any) -> requests.Response:
        ref = {"_type": kind, "path": path, "sha256": hashlib.sha256(body).hexdigest(), "size": len(body), **facts}
        self.log(step, {key: ref})
        return self.upload(path, body)


def png(width: int, height: int, seed: int = 0) -> bytes:
    import numpy as np

    pixels = np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def gif(frames: int = 4, seed: int = 0) -> bytes:
    import numpy as np

    rng = np.random.default_rng(seed)
    images = [Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)) for _ in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return buf.getvalue()


def wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x01" * int(seconds * rate))
    return buf.getvalue()
