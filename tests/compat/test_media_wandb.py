"""W&B media idioms that need matplotlib, pandas or torch, run by a real script in `.venv-compat`
(Python 3.11 with numpy, Pillow, pandas, matplotlib, plotly, torch) against a real server.

`{"chart": plt}` and a matplotlib figure are never dropped: Plotly where plotly's converter
manages, else the figure's own PNG; `agent.Image(fig)` is a PNG.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image as PILImage

from tests.ci import unavailable
from tests.serverproc import ROOT, ServerProcess

pytestmark = pytest.mark.server

COMPAT_PYTHON = ROOT / ".venv-compat" / "bin" / "python"


def run_compat(code: str, cwd: Path, server: ServerProcess) -> subprocess.CompletedProcess[str]:
    """A training script run by the compat interpreter, as a W&B user's environment would."""
    if not COMPAT_PYTHON.exists():
        unavailable(f"{COMPAT_PYTHON} is missing (make .venv-compat)", ci=f"{COMPAT_PYTHON} is missing: CI builds it")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env.update(PYTHONPATH=str(ROOT), CAIRN_BASE_URL=server.url, CAIRN_API_KEY=server.api_key, MPLBACKEND="Agg")
    script = cwd / "train.py"
    script.write_text(textwrap.dedent(code))
    done = subprocess.run([str(COMPAT_PYTHON), str(script)], cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return done


def api(server: ServerProcess, project: str, run_id: str) -> Any:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    base = f"{server.url}/api/v1/projects/{server.org}/{project}/runs/{run_id}"

    def get(path: str, **params: Any) -> requests.Response:
        r = s.get(f"{base}/{path}", params=params, timeout=10)
        r.raise_for_status()
        return r

    return get


def test_matplotlib_figures_and_pyplot_itself_are_logged_never_dropped(cairn_server: ServerProcess, tmp_path: Path) -> None:
    done = run_compat(
        """
        import warnings
        import matplotlib.pyplot as plt
        import agent

        warnings.simplefilter("always")
        agent.init(project="compat-media", id="mpl")
        plt.plot([1, 2, 3], [3, 1, 2])
        agent.log({"chart": plt})                                  # the W&B idiom: pyplot's current figure
        fig, ax = plt.subplots(figsize=(4, 3), dpi=50)
        ax.imshow([[0, 1], [1, 0]])                                # plotly's converter cannot take an image
        agent.log({"heat": fig, "as_image": agent.Image(fig), "pyplot_image": agent.Image(plt)})
        agent.finish()
        """,
        tmp_path,
        cairn_server,
    )
    assert "not logged" not in done.stderr, done.stderr
    get = api(cairn_server, "compat-media", "mpl")
    rows = {json.loads(line)["step"]: json.loads(line) for line in get("history/export", keys="chart,heat,as_image,pyplot_image").text.splitlines()}
    chart = rows[0]["chart"]
    if chart["_type"] == "plotly":  # converted: the line's points are there
        figure = get(f"files/{chart['path']}").json()
        assert figure["data"][0]["y"] == [3, 1, 2]
    else:
        assert chart["_type"] == "image"
    heat, image, pyplot_image = rows[1]["heat"], rows[1]["as_image"], rows[1]["pyplot_image"]
    assert heat["_type"] == "image" and (heat["width"], heat["height"]) == (200, 150)
    for ref in (heat, image, pyplot_image):
        with PILImage.open(io.BytesIO(get(f"files/{ref['path']}").content)) as im:
            assert im.format == "PNG" and im.size == (200, 150)


def test_dataframes_and_tensors_take_wandb_calls(cairn_server: ServerProcess, tmp_path: Path) -> None:
    run_compat(
        """
        import pandas as pd
        import torch
        import agent

        agent.init(project="compat-media", id="frames")
        df = pd.DataFrame({"name": ["a", "b"], "score": [0.5, 0.75]})
        t = agent.Table(dataframe=df)
        t.add_column("rank", [2, 1])
        agent.log({
            "df": t,
            "tensor": agent.Image(torch.full((3, 4, 5), 0.5)),           # C×H×W floats in [0, 1]
            "tensor255": agent.Image(torch.full((1, 4, 5), 200.0)),      # floats holding 0-255
            "hist": agent.Histogram(torch.arange(100, dtype=torch.float32), num_bins=10),
        })
        agent.finish()
        """,
        tmp_path,
        cairn_server,
    )
    get = api(cairn_server, "compat-media", "frames")
    [row] = [json.loads(line) for line in get("history/export", keys="df,tensor,tensor255,hist").text.splitlines()]
    assert get(f"files/{row['df']['path']}").json() == {"columns": ["name", "score", "rank"],
                                                         "data": [["a", 0.5, 2], ["b", 0.75, 1]]}
    assert (row["tensor"]["width"], row["tensor"]["height"]) == (5, 4)
    with PILImage.open(io.BytesIO(get(f"files/{row['tensor']['path']}").content)) as im:
        assert im.getpixel((0, 0)) == (128, 128, 128)
    with PILImage.open(io.BytesIO(get(f"files/{row['tensor255']['path']}").content)) as im:
        assert im.getpixel((0, 0)) == 200
    assert row["hist"]["counts"] == [10] * 10
