"""A real training script logs every media type through the agent; the run page shows each in Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.serverproc import ROOT, ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]

SCRIPT = """
import numpy as np, agent
run = agent.init(project={project!r}, org="local", name="media-e2e")
img = np.zeros((30, 40, 3), np.uint8)
img[:, :20] = (230, 30, 30)
rng = np.random.default_rng(0)
for step in range(3):
    agent.log({{
        "samples": [agent.Image(img, caption=f"left red <b>{{step}}</b>", boxes=[{{"box": [2, 2, 18, 20], "label": "thing"}}]),
                    agent.Image(img[:, ::-1], caption="right red")],
        "weights": agent.Histogram(rng.normal(step, 1.0, 2000), num_bins=32),
        "loss": 1.0 / (step + 1),
    }}, step=step)
t = np.arange(8000) / 8000
agent.log({{
    "rollout": agent.Video(np.repeat(np.linspace(0, 255, 8, dtype=np.uint8)[:, None, None, None], 32, 1).repeat(32, 2).repeat(3, 3), fps=4, format="mp4"),
    "tone": agent.Audio((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sample_rate=8000),
    "preds": agent.Table(columns=["name", "score", "picture"], data=[["bravo", 2.0, agent.Image(img)], ["alpha", 1.0, agent.Image(img[:, ::-1])]]),
    "figure": agent.Plotly({{"data": [{{"type": "scatter", "x": [1, 2, 3], "y": [3, 1, 2]}}], "layout": {{"title": {{"text": "fig"}}}}}}),
    "page": agent.Html("<p id='x'>waiting</p><script>document.getElementById('x').textContent = 'ran'</script>"),
}}, step=3)
run.finish()
"""


def wait_processed(server: ServerProcess, project: str, run_id: str, keys: set[str], timeout: float = 90) -> None:
    """Until every media item of the run is past `pending` (the real worker on the real broker did it)."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    base = f"{server.url}/api/v1/projects/local/{project}/runs/{run_id}"
    deadline = time.monotonic() + timeout
    while True:
        body = s.get(f"{base}/media/keys", params={"first": 50}).json()
        found = {k["key"]: k for k in body["keys"]}
        statuses = [m["status"] for k in found.values() for m in k.get("first", {}).get("results", [])]
        if keys <= set(found) and statuses and "pending" not in statuses:
            assert set(statuses) == {"ready"}, [(m["key"], m["error"]) for k in found.values() for m in k.get("first", {}).get("results", [])]
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"media not processed in {timeout}s: {found}")
        time.sleep(0.5)


def test_a_real_agent_script_logs_every_media_type_and_the_run_page_shows_each(
    web_server: ServerProcess, new_page: Any, tmp_path: Path
) -> None:
    project = f"media-e2e-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "CAIRN_BASE_URL": web_server.url, "CAIRN_API_KEY": web_server.api_key, "PYTHONPATH": str(ROOT)}
    env.pop("CAIRN_TASKS_EAGER", None)
    script = textwrap.dedent(SCRIPT.format(project=project))
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    run_id = requests.get(f"{web_server.url}/api/v1/projects/local/{project}/runs/",
                          headers={"Authorization": f"Bearer {web_server.api_key}"}).json()["results"][0]["id"]
    wait_processed(web_server, project, run_id, {"samples", "rollout", "tone", "preds", "figure", "page", "weights"})

    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/{run_id}#charts")
    panel = lambda key: page.locator(f"[data-testid=media-section] [data-key='{key}']")  # noqa: E731

    # The gallery of the newest step, from the worker's thumbnails, captions as text, boxes drawn.
    samples = panel("samples")
    samples.locator("[data-testid=media-item] >> nth=1").wait_for()
    assert samples.get_attribute("data-step") == "2"
    assert samples.locator("[data-testid=media-caption]").all_text_contents() == ["left red <b>2</b>", "right red"]
    samples.scroll_into_view_if_needed()  # thumbnails load lazily, once on screen
    page.wait_for_function("""() => [...document.querySelectorAll("[data-key=samples] img.media-img")]
        .every((i) => i.complete && i.naturalWidth > 0 && i.src.includes('/thumbnail'))""")
    assert samples.locator("[data-testid=media-boxes] rect").count() == 1
    samples.locator("[data-testid=media-slider]").press("Home")
    page.wait_for_selector("[data-testid=media-panel][data-key=samples][data-step='0']")

    # Histograms over time: 3 steps drawn.
    view = panel("weights").locator(".hist-view[data-drawn-at]")
    view.wait_for()
    assert view.get_attribute("data-steps") == "3"

    # The players load the agent's files.
    for kind in ("video", "audio"):
        try:
            page.wait_for_function(f"""() => {{ const m = document.querySelector("[data-testid=media-{kind}]");
                return m && m.readyState >= 1 && m.duration > 0; }}""", timeout=20_000)
        except Exception:
            state = page.evaluate(f"""() => {{ const m = document.querySelector("[data-testid=media-{kind}]");
                return m && [m.src, m.readyState, m.networkState, m.error && m.error.code, m.error && m.error.message]; }}""")
            raise AssertionError(f"{kind} did not load: {state}") from None

    # The table with its image cells; Plotly; the HTML panel's script ran in its sandbox.
    table = panel("preds")
    table.locator("[data-testid=media-table] tbody tr >> nth=1").wait_for()
    table.locator("th[data-col='1']").click()
    assert table.locator("tbody tr td:first-child").all_text_contents() == ["alpha", "bravo"]
    table.locator("[data-testid=media-table]").scroll_into_view_if_needed()
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid=media-cell-img]')]
        .filter((i) => i.complete && i.naturalWidth > 0).length === 2""")
    page.wait_for_selector("[data-testid=media-plotly][data-drawn='1'] .main-svg .scatterlayer .trace")
    assert page.locator("[data-testid=media-html]").get_attribute("sandbox") == "allow-scripts"
    assert page.frame_locator("[data-testid=media-html]").locator("#x").text_content() == "ran"
