"""W&B's boxes and masks, logged by a real agent script, drawn over the image on the run page in Chromium:
each box where it belongs with its caption or class name in its class's colour, the mask in its classes'
colours, and a toggle per box group and mask group."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.serverproc import ROOT, ServerProcess
from tests.web.conftest import sign_in
from tests.web.test_media_e2e import wait_processed

pytestmark = [pytest.mark.server, pytest.mark.browser]

SCRIPT = """
import numpy as np, agent
run = agent.init(project={project!r}, org="local", name="overlays")
mask = np.zeros((40, 80), dtype=np.uint8)
mask[20:40, 40:80] = 2   # the bottom right quarter is a person
agent.log({{"det": agent.Image(
    np.full((40, 80, 3), 120.0),   # floats holding 0-255: a mid grey, not white
    caption="street",
    boxes={{
        "predictions": {{"box_data": [{{"position": {{"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.8}},
                                        "class_id": 1, "box_caption": "car", "scores": {{"acc": 0.9}}}}],
                        "class_labels": {{1: "car", 2: "person"}}}},
        "ground_truth": {{"box_data": [{{"position": {{"middle": [60, 20], "width": 16, "height": 10}},
                                         "domain": "pixel", "class_id": 2}}],
                         "class_labels": {{1: "car", 2: "person"}}}},
    }},
    masks={{"segmentation": {{"mask_data": mask, "class_labels": {{0: "road", 2: "person"}}}}}},
)}})
run.finish()
"""

PALETTE = ["#e6194b", "#3cb44b", "#4363d8"]


def test_boxes_and_masks_are_drawn_where_they_belong_and_toggle_by_group(
    web_server: ServerProcess, new_page: Any, tmp_path: Path
) -> None:
    project = f"overlays-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "CAIRN_BASE_URL": web_server.url, "CAIRN_API_KEY": web_server.api_key, "PYTHONPATH": str(ROOT)}
    env.pop("CAIRN_TASKS_EAGER", None)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT.format(project=project))], env=env,
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Warning" not in done.stderr, done.stderr  # nothing was refused
    run_id = requests.get(f"{web_server.url}/api/v1/projects/local/{project}/runs/",
                          headers={"Authorization": f"Bearer {web_server.api_key}"}).json()["results"][0]["id"]
    wait_processed(web_server, project, run_id, {"det"})

    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/{run_id}#charts")
    panel = page.locator("[data-testid=media-section] [data-key='det']")
    panel.locator("[data-testid=media-item]").wait_for()
    panel.scroll_into_view_if_needed()

    # The boxes, in percent of the image: the relative one as given, the pixel one from its middle and size.
    rects = panel.locator("[data-testid=media-boxes] rect")
    assert rects.count() == 2
    got = {r.get_attribute("data-overlay"): [float(r.get_attribute(a) or "nan") for a in ("x", "y", "width", "height")]
           + [r.get_attribute("stroke")] for r in rects.all()}
    assert got["box:predictions"] == [pytest.approx(10), pytest.approx(20), pytest.approx(40), pytest.approx(60), PALETTE[1]]
    assert got["box:ground_truth"] == [pytest.approx(65), pytest.approx(37.5), pytest.approx(20), pytest.approx(25), PALETTE[2]]
    labels = panel.locator(".media-box-label")
    assert sorted(labels.all_text_contents()) == ["car 0.9", "person"]

    # The mask: the person's quarter in class 2's colour, the road (class 0) clear.
    page.wait_for_selector("[data-key='det'] [data-testid=media-mask][data-drawn='1']")
    corners = page.evaluate("""() => { const c = document.querySelector("[data-key='det'] [data-testid=media-mask]");
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const at = (x, y) => Array.from(d.slice((y * c.width + x) * 4, (y * c.width + x) * 4 + 4));
        return [c.width, c.height, at(70, 30), at(5, 5)]; }""")
    assert corners[:2] == [80, 40]
    person, road = corners[2], corners[3]
    assert person[3] == 140 and all(abs(a - b) <= 3 for a, b in zip(person, [0x43, 0x63, 0xD8]))  # alpha rounds
    assert road[3] == 0

    # One toggle per group, and the classes named with their colours.
    toggles = panel.locator("[data-testid=overlay-toggle]")
    assert [t.get_attribute("data-overlay") for t in toggles.all()] == ["box:ground_truth", "box:predictions", "mask:segmentation"]
    assert panel.locator(".media-overlay-toggle").all_text_contents() == [
        "boxes: ground_truth", "boxes: predictions", "mask: segmentation"]
    assert panel.locator("[data-testid=media-class]").all_text_contents() == ["road", "car", "person"]
    visible = "(n) => getComputedStyle(n).display !== 'none'"
    panel.locator("[data-testid=overlay-toggle][data-overlay='box:predictions']").uncheck()
    assert panel.locator("rect[data-overlay='box:predictions']").evaluate(visible) is False
    assert panel.locator("rect[data-overlay='box:ground_truth']").evaluate(visible) is True
    assert panel.locator(".media-box-label[data-overlay='box:predictions']").evaluate(visible) is False
    panel.locator("[data-testid=overlay-toggle][data-overlay='mask:segmentation']").uncheck()
    assert panel.locator("[data-testid=media-mask]").evaluate(visible) is False
    panel.locator("[data-testid=overlay-toggle][data-overlay='box:predictions']").check()
    assert panel.locator("rect[data-overlay='box:predictions']").evaluate(visible) is True
