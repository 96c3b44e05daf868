"""A point cloud logged by a real agent script is drawn on the run page in Chromium as a Plotly 3-D
scatter with its points' colours and its 3-D box's 12 edges; a 3-D model file and a molecule are offered
for download."""

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
import io, numpy as np, agent
run = agent.init(project={project!r}, org="local", name="clouds")
rng = np.random.default_rng(0)
points = np.hstack([rng.random((300, 3)) * 10, np.tile([255, 0, 0], (300, 1))])
corners = [[x, y, z] for x in (1, 3) for y in (1, 7) for z in (0, 2)]   # a long box, corners in any order
corners = [corners[i] for i in (5, 0, 3, 6, 1, 7, 2, 4)]
with open("cube.obj", "w") as fh:
    fh.write("v 0 0 0\\nv 1 0 0\\nv 0 1 0\\nf 1 2 3\\n")
agent.log({{
    "cloud": agent.Object3D({{"type": "lidar/beta", "points": points,
                             "boxes": [{{"corners": corners, "label": "car", "color": [0, 200, 0], "score": 0.75}}]}},
                            caption="scan"),
    "model": agent.Object3D("cube.obj"),
    "protein": agent.Molecule(io.StringIO("ATOM      1  N   ALA A   1      11.104   6.134  -6.504\\n"), file_type="pdb"),
}})
run.finish()
"""


def test_a_point_cloud_is_drawn_in_3d_and_a_model_offered_for_download(
    web_server: ServerProcess, new_page: Any, tmp_path: Path
) -> None:
    project = f"clouds-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "CAIRN_BASE_URL": web_server.url, "CAIRN_API_KEY": web_server.api_key, "PYTHONPATH": str(ROOT)}
    env.pop("CAIRN_TASKS_EAGER", None)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT.format(project=project))], env=env,
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    run_id = requests.get(f"{web_server.url}/api/v1/projects/local/{project}/runs/",
                          headers={"Authorization": f"Bearer {web_server.api_key}"}).json()["results"][0]["id"]
    wait_processed(web_server, project, run_id, {"cloud", "model", "protein"})

    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/{run_id}#charts")
    cloud = page.locator("[data-testid=media-section] [data-key='cloud'] [data-testid=media-object3d]")
    cloud.wait_for()
    page.wait_for_selector("[data-key='cloud'] [data-testid=media-object3d][data-drawn='1']", timeout=30_000)
    assert cloud.get_attribute("data-points") == "300" and cloud.get_attribute("data-boxes") == "1"
    traces = cloud.evaluate("""(n) => n.data.map((t) => ({type: t.type, mode: t.mode, name: t.name, n: t.x.length,
        color: t.marker ? t.marker.color[0] : t.line && t.line.color, text: t.text}))""")
    points, box, label = traces
    assert points == {"type": "scatter3d", "mode": "markers", "name": "points", "n": 300, "color": "rgb(255,0,0)", "text": None}
    assert box["mode"] == "lines" and box["name"] == "car 0.75" and box["color"] == "rgb(0,200,0)"
    assert box["n"] == 12 * 3  # 12 edges, each two ends and a gap
    assert label["mode"] == "text" and label["text"] == ["car 0.75"]
    # Every edge of the box is one of its 12 real edges: parallel to an axis, of length 2, 6 or 2.
    lengths = cloud.evaluate("""(n) => { const t = n.data[1], out = [];
        for (let i = 0; i < t.x.length; i += 3) out.push(Math.hypot(t.x[i + 1] - t.x[i], t.y[i + 1] - t.y[i], t.z[i + 1] - t.z[i]));
        return out.sort((a, b) => a - b); }""")
    assert lengths == [2] * 8 + [6] * 4
    assert page.locator("[data-key='cloud'] [data-testid=media-caption]").text_content() == "scan"
    link = page.locator("[data-key='model'] [data-testid=media-download]")
    assert link.text_content() == "Download the obj model"
    with page.expect_download() as dl:
        link.click()
    assert Path(dl.value.path()).read_bytes().startswith(b"v 0 0 0")
    molecule = page.locator("[data-key='protein'] [data-testid=media-download]")
    assert molecule.text_content() == "Download the pdb molecule"
    with page.expect_download() as dl:
        molecule.click()
    assert Path(dl.value.path()).read_bytes().startswith(b"ATOM      1  N   ALA")
