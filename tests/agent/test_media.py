"""Media logged by a real training script reaches a real server and is processed there.

Runs under the agent's test interpreters too (Python 3.9 and 3.13 with only
numpy installed): the server's database is read through the server's own
interpreter, and what needs Pillow or PyAV in the script is skipped there.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.agent.conftest import run_script
from tests.ci import unavailable
from tests.serverproc import ROOT, ServerProcess, server_python

pytestmark = pytest.mark.server

_DUMP = """
import django, json, sys
django.setup()
from apps.runs.models import Media, Run
run = Run.objects.get(run_id=sys.argv[1])
fields = ("key", "step", "index", "kind", "path", "caption", "meta", "status", "error", "content_type",
          "size", "width", "height", "duration", "thumbnail", "attempts", "table_id")
print(json.dumps([dict(zip(fields, row)) for row in
                  Media.objects.filter(run=run).order_by("key", "step", "index").values_list(*fields)]))
"""


def server_media(server: ServerProcess, run_id: str) -> list[dict[str, Any]]:
    """The run's Media rows, read from the server's database by the server's interpreter."""
    env = {**server.env, "DJANGO_SETTINGS_MODULE": "webapp.settings"}
    out = subprocess.run(
        [server_python(), "-c", _DUMP, run_id], cwd=str(ROOT), env=env, capture_output=True, text=True, check=True
    )
    return list(json.loads(out.stdout))


def processed_media(server: ServerProcess, run_id: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    """The run's media once `count` rows exist and none is pending."""
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = server_media(server, run_id)
        if len(rows) >= count and all(r["status"] != "pending" for r in rows):
            return rows
        time.sleep(0.5)
    raise AssertionError(f"media not processed in {timeout}s: {rows}\n{server.log_tail()}")


def history(server: ServerProcess, project: str, run_id: str, keys: str) -> list[dict[str, Any]]:
    url = f"{server.url}/api/v1/projects/{server.org}/{project}/runs/{run_id}/history/export"
    r = requests.get(url, params={"keys": keys}, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=10)
    return [json.loads(line) for line in r.text.splitlines()]


def env_of(server: ServerProcess) -> dict[str, str]:
    return {"CAIRN_BASE_URL": server.url, "CAIRN_API_KEY": server.api_key}


def test_images_and_histograms_reach_the_server(cairn_server: ServerProcess, tmp_path: Path) -> None:
    run_script(
        """
        import numpy as np
        import agent

        run = agent.init(project="media", id="img1")
        rng = np.random.default_rng(0)
        for step in range(3):
            agent.log({
                "samples": [agent.Image(rng.random((32, 48, 3)), caption=f"s{step}-{i}") for i in range(2)],
                "mask": agent.Image(
                    np.zeros((16, 16), dtype=np.uint8), boxes=[{"box": [1, 2, 8, 9], "label": "cat", "score": 0.9}],
                    masks={"pred": np.eye(16, dtype=np.uint8)}, class_labels={1: "cat"},
                ),
                "weights": agent.Histogram(rng.normal(size=1000), num_bins=16),
                "grads": agent.Histogram(np_histogram=([1, 2, 3], [0.0, 1.0, 2.0, 3.0])),
                "loss": 1.0 / (step + 1),
            })
        agent.finish()
        """,
        tmp_path,
        env=env_of(cairn_server),
    )
    rows = processed_media(cairn_server, "img1", count=9)
    assert [(r["key"], r["step"], r["index"]) for r in rows] == [
        ("mask", s, 0) for s in range(3)] + [("samples", s, i) for s in range(3) for i in range(2)]
    for r in rows:
        assert r["status"] == "ready", r
        assert r["kind"] == "image" and r["content_type"] == "image/png" and r["thumbnail"].endswith(".jpg")
    sample = rows[3]
    assert (sample["width"], sample["height"], sample["caption"]) == (48, 32, "s0-0")
    mask = rows[0]
    assert mask["meta"]["boxes"] == [{"box": [1.0, 2.0, 8.0, 9.0], "label": "cat", "score": 0.9}]
    assert mask["meta"]["class_labels"] == {"1": "cat"} and mask["meta"]["masks"]["pred"]["path"].endswith(".png")
    rows_h = history(cairn_server, "media", "img1", "weights,grads,samples")
    assert len(rows_h) == 3
    weights = rows_h[0]["weights"]
    assert weights["_type"] == "histogram" and len(weights["edges"]) == 17 and sum(weights["counts"]) == 1000
    assert rows_h[0]["grads"] == {"_type": "histogram", "edges": [0.0, 1.0, 2.0, 3.0], "counts": [1, 2, 3]}
    gallery = rows_h[1]["samples"]
    assert gallery["_type"] == "images" and [i["caption"] for i in gallery["items"]] == ["s1-0", "s1-1"]


def test_videos_reach_the_server(cairn_server: ServerProcess, tmp_path: Path) -> None:
    has_av = importlib.util.find_spec("av") is not None
    has_pil = importlib.util.find_spec("PIL") is not None
    if not has_pil and not has_av:
        # The Makefile's agent venvs and the server venv have Pillow: under CI this is a broken setup.
        unavailable("encoding frames needs PyAV or Pillow in the training environment",
                    ci="Pillow (or PyAV) is missing from the agent's test environment")
    run_script(
        """
        import importlib.util
        import numpy as np
        import agent

        run = agent.init(project="media", id="vid1")
        frames = (np.random.default_rng(1).random((8, 3, 24, 32)) * 255).astype(np.uint8)
        row = {"rollout": agent.Video(frames, fps=8, caption="episode 1")}
        if importlib.util.find_spec("PIL"):
            row["rollout_gif"] = agent.Video(frames.transpose(0, 2, 3, 1), fps=8, format="gif")
        agent.log(row)
        agent.finish()
        """,
        tmp_path,
        env=env_of(cairn_server),
    )
    rows = {r["key"]: r for r in processed_media(cairn_server, "vid1", count=1 + has_pil)}
    video = rows["rollout"]
    assert video["status"] == "ready", video
    assert video["content_type"] == ("video/mp4" if has_av else "image/gif")
    assert (video["width"], video["height"]) == (32, 24) and video["thumbnail"].endswith(".jpg")
    assert video["duration"] == pytest.approx(1.0, abs=0.2) and video["meta"]["fps"] == 8.0
    assert video["caption"] == "episode 1"
    if has_pil:
        gif = rows["rollout_gif"]
        assert gif["status"] == "ready" and gif["content_type"] == "image/gif" and gif["thumbnail"]
        assert (gif["width"], gif["height"]) == (32, 24)


def test_audio_tables_figures_and_html_reach_the_server(cairn_server: ServerProcess, tmp_path: Path) -> None:
    run_script(
        """
        import numpy as np
        import agent

        run = agent.init(project="media", id="av1")
        t = np.linspace(0, 1, 8000, endpoint=False)
        agent.log({
            "sound": agent.Audio(np.sin(2 * np.pi * 440 * t), sample_rate=8000, caption="A4"),
            "preds": agent.Table(columns=["id", "image", "label"],
                                 data=[[i, agent.Image(np.full((8, 8), i * 30, dtype=np.uint8)), f"c{i}"] for i in range(3)]),
            "curve": agent.Plotly({"data": [{"type": "scatter", "x": [1, 2, 3], "y": [3, 1, 2]}], "layout": {"title": "t"}}),
            "panel": agent.Html("<h1>Hello</h1><script>alert(1)</script>"),
        })
        agent.finish()
        """,
        tmp_path,
        env=env_of(cairn_server),
    )
    everything = processed_media(cairn_server, "av1", count=4 + 3)  # and the table's 3 image cells
    rows = {r["key"]: r for r in everything if r["table_id"] is None}
    cells = [r for r in everything if r["table_id"] is not None]
    for r in everything:
        assert r["status"] == "ready", r
    assert sorted((c["meta"]["row"], c["meta"]["col"], c["kind"], c["key"]) for c in cells) == [
        (i, 1, "image", "preds") for i in range(3)
    ]
    assert all(c["thumbnail"] and (c["width"], c["height"]) == (8, 8) for c in cells)
    sound = rows["sound"]
    assert sound["content_type"] == "audio/wav" and sound["duration"] == pytest.approx(1.0, abs=0.01)
    assert sound["meta"]["sample_rate"] == 8000 and sound["caption"] == "A4"
    assert rows["preds"]["content_type"] == "application/json" and rows["preds"]["meta"]["nrows"] == 3
    assert rows["curve"]["kind"] == "plotly" and rows["panel"]["kind"] == "html"
    # The table's image cells are files of the run, referenced from the table.
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {cairn_server.api_key}"
    base = f"{cairn_server.url}/api/v1/projects/{cairn_server.org}/media/runs/av1/files"
    table = s.get(f"{base}/{rows['preds']['path']}", timeout=10).json()
    cell = table["data"][1][1]
    assert table["columns"] == ["id", "image", "label"] and cell["_type"] == "image"
    assert s.get(f"{base}/{cell['path']}", timeout=10).content[:4] == b"\x89PNG"
    figure = s.get(f"{base}/{rows['curve']['path']}", timeout=10).json()
    assert figure["data"][0]["y"] == [3, 1, 2]
    html = s.get(f"{base}/{rows['panel']['path']}", timeout=10)
    assert "sandbox" in html.headers["Content-Security-Policy"] and html.headers["Content-Disposition"].startswith("attachment")


def test_a_bad_media_value_is_one_warning_and_the_row_is_kept(cairn_server: ServerProcess, tmp_path: Path) -> None:
    result = run_script(
        """
        import numpy as np
        import agent

        run = agent.init(project="media", id="bad1")
        try:
            agent.Image(np.zeros((2, 2, 7)))
        except ValueError as e:
            print("refused:", e)
        agent.log({"gallery": [agent.Histogram([1, 2])], "loss": 0.5})
        agent.finish()
        """,
        tmp_path,
        env=env_of(cairn_server),
    )
    assert "refused: an image of shape (2, 2, 7)" in result.stdout
    assert "not logged: key 'gallery'" in result.stderr
    assert history(cairn_server, "media", "bad1", "loss,gallery") == [{"step": 0, "time": pytest.approx(time.time(), abs=120), "loss": 0.5}]
