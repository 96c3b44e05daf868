"""Media for browser tests and benchmarks: files uploaded through the API, Media
rows as the pipeline leaves them (written inside the server's own database
through manage.py, thumbnails made with Pillow there).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import subprocess
import uuid
import wave
from typing import Any

import requests

from tests.serverproc import ROOT, ServerProcess, server_python

# Runs inside the server's environment: reads {"project", "run", "media": [...]} on stdin.
_SEED = r"""
import io, json, sys
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image
from apps.runs.models import Media, Run
spec = json.load(sys.stdin)
run = Run.objects.get(project__organization__slug="local", project__slug=spec["project"], run_id=spec["run"])
thumbs = {}
def thumbnail(color):
    key = tuple(color)
    if key not in thumbs:
        buf = io.BytesIO()
        Image.new("RGB", (64, 48), key).save(buf, "PNG")
        thumbs[key] = buf.getvalue()
    return thumbs[key]
rows = []
for m in spec["media"]:
    color = m.pop("thumb", None)
    if "table_path" in m:  # an image cell of that table
        m["table"] = Media.objects.get(run=run, path=m.pop("table_path"))
    name = ""
    if color is not None:
        name = default_storage.save(f"thumbs/{run.pk}/{m['path'].replace('/', '_')}.png", ContentFile(thumbnail(color)))
    rows.append(Media(run=run, thumbnail=name, **m))
Media.objects.filter(run=run, path__in=[r.path for r in rows]).delete()
Media.objects.bulk_create(rows, batch_size=2000)
print(len(rows))
"""


def media_rows_create(server: ServerProcess, project: str, run: str, media: list[dict[str, Any]]) -> None:
    """Media rows in the server's database: each dict holds Media fields, and `thumb` an RGB colour for a thumbnail."""
    done = subprocess.run(
        [server_python(), str(ROOT / "manage.py"), "shell", "-c", _SEED],
        input=json.dumps({"project": project, "run": run, "media": media}), text=True,
        env=server.env, cwd=str(ROOT), capture_output=True,
    )
    if done.returncode:
        raise RuntimeError(f"seeding media failed:\n{done.stderr[-3000:]}")


def api_session(server: ServerProcess) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    return s


def project_create(server: ServerProcess, visibility: str = "private", prefix: str = "md") -> tuple[str, requests.Session]:
    s = api_session(server)
    project = f"{prefix}-{uuid.uuid4().hex[:6]}"
    r = s.post(f"{server.url}/api/v1/orgs/local/projects", json={"slug": project, "visibility": visibility})
    r.raise_for_status()
    return project, s


def run_url(server: ServerProcess, project: str, run: str) -> str:
    return f"{server.url}/api/v1/projects/local/{project}/runs/{run}"


def upload(s: requests.Session, url: str, path: str, data: bytes) -> None:
    s.put(f"{url}/files/{path}", data=data, headers={"X-Cairn-Sha256": hashlib.sha256(data).hexdigest()}).raise_for_status()


def png(w: int, h: int, color: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "PNG")
    return buf.getvalue()


def mask_png(w: int, h: int) -> bytes:
    """Class 0 everywhere but a class-1 square in the top-left quarter."""
    from PIL import Image

    img = Image.new("L", (w, h), 0)
    img.paste(1, (0, 0, w // 2, h // 2))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(int(seconds * rate)))
        w.writeframes(frames)
    return buf.getvalue()


def webm(frames: int = 10, size: int = 32) -> bytes:
    """A short VP8 video, made with PyAV (a server dependency)."""
    import av
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=10)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            arr = np.full((size, size, 3), (i * 25) % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def histogram(step: int, bins: int = 64) -> dict[str, Any]:
    """A normal distribution drifting upwards with the step."""
    centre = step / 100
    edges = [centre - 4 + 8 * i / bins for i in range(bins + 1)]
    counts = [round(1000 * math.exp(-(((edges[i] + edges[i + 1]) / 2 - centre) ** 2) / 2)) for i in range(bins)]
    return {"_type": "histogram", "edges": edges, "counts": counts}


def log_histograms(s: requests.Session, url: str, key: str, steps: int, bins: int = 64) -> None:
    for start in range(0, steps, 1000):
        records = [{"step": i, "time": 1.7e9 + i, "data": {key: histogram(i, bins), "loss": 1 / (i + 1)}}
                   for i in range(start, min(steps, start + 1000))]
        s.post(f"{url}/streams/history", json={"offset": start, "records": records}).raise_for_status()
