"""A real training script logs each agent.plot chart; the run page draws each as a panel in Chromium."""

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
run = agent.init(project={project!r}, org="local", name="charts")
t = agent.Table(columns=["step", "loss", "name"], data=[[i, 1.0 / (i + 1), "a" if i % 2 else "b"] for i in range(6)])
y = [0, 1, 2, 1, 0, 2, 2]
probas = np.eye(3)[y] * 0.7 + 0.1
for step in range(2):
    agent.log({{
        "line": agent.plot.line(t, "step", "loss", stroke="name", title="Loss <b>by</b> name"),
        "series": agent.plot.line_series([0, 1, 2], [[1, 2, 3], [3, 2, 1]], keys=["up", "down"], xname="epoch"),
        "scatter": agent.plot.scatter(t, "step", "loss"),
        "bar": agent.plot.bar(t, "name", "loss"),
        "hist": agent.plot.histogram(t, "loss"),
        # Step 0 predicts everything right; step 1 mistakes two "c" for "b".
        "cm": agent.plot.confusion_matrix(y_true=y, preds=y if step == 0 else [0, 1, 2, 1, 0, 1, 1], class_names=["a", "b", "c"]),
        "pr": agent.plot.pr_curve(y, probas, labels=["a", "b", "c"]),
        "roc": agent.plot.roc_curve(y, probas, labels=["a", "b", "c"]),
        "custom": agent.plot_table("me/my-chart", t, {{"x": "step"}}),
    }}, step=step)
run.finish()
"""

KEYS = {"line", "series", "scatter", "bar", "hist", "cm", "pr", "roc", "custom"}

# What Plotly drew in a chart panel: its traces and axis titles.
PLOT_DATA = """(key) => {
  const gd = document.querySelector(`[data-testid=media-panel][data-key='${key}'] [data-testid=media-chart][data-drawn='1']`);
  if (!gd) return null;
  return {
    traces: gd.data.map((t) => ({ type: t.type, name: t.name === undefined ? null : t.name, mode: t.mode || null,
                                  x: Array.from(t.x || []), y: Array.from(t.y || []), z: t.z ? t.z.map((r) => Array.from(r)) : null })),
    xtitle: gd.layout.xaxis.title.text, ytitle: gd.layout.yaxis.title.text, title: gd.layout.title && gd.layout.title.text,
  };
}"""


def run_script(server: ServerProcess, project: str, script: str, cwd: Path) -> None:
    """A training script, run by the test's interpreter against the server; the real worker processes its media."""
    env = {**os.environ, "CAIRN_BASE_URL": server.url, "CAIRN_API_KEY": server.api_key, "PYTHONPATH": str(ROOT)}
    env.pop("CAIRN_TASKS_EAGER", None)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=env,
                          cwd=str(cwd), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def run_ids(server: ServerProcess, project: str) -> list[str]:
    got = requests.get(f"{server.url}/api/v1/projects/local/{project}/runs/", headers={"Authorization": f"Bearer {server.api_key}"})
    return [r["id"] for r in got.json()["results"]]


def test_the_run_page_draws_each_kind_of_chart(web_server: ServerProcess, new_page: Any, tmp_path: Path) -> None:
    project = f"charts-{uuid.uuid4().hex[:6]}"
    run_script(web_server, project, SCRIPT.format(project=project), tmp_path)
    run_id = run_ids(web_server, project)[0]
    wait_processed(web_server, project, run_id, KEYS)

    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/{run_id}#charts")

    def drawn(key: str) -> dict[str, Any]:
        page.wait_for_function(f"() => ({PLOT_DATA})({key!r}) !== null", timeout=20_000)
        return page.evaluate(PLOT_DATA, key)

    line = drawn("line")
    assert [(t["name"], t["x"]) for t in line["traces"]] == [("b", [0, 2, 4]), ("a", [1, 3, 5])]
    # The run's title is shown as the text it is, not read as markup.
    assert page.locator("[data-testid=media-panel][data-key=line] .gtitle").text_content() == "Loss <b>by</b> name"
    assert (line["xtitle"], line["ytitle"]) == ("step", "loss")

    series = drawn("series")
    assert [(t["name"], t["x"], t["y"]) for t in series["traces"]] == [("up", [0, 1, 2], [1, 2, 3]), ("down", [0, 1, 2], [3, 2, 1])]
    assert series["xtitle"] == "epoch"

    scatter = drawn("scatter")
    assert [(t["mode"], len(t["x"])) for t in scatter["traces"]] == [("markers", 6)]

    bar = drawn("bar")
    assert [(t["type"], t["x"]) for t in bar["traces"]] == [("bar", ["b", "a", "b", "a", "b", "a"])]

    hist = drawn("hist")
    assert [(t["type"], len(t["x"])) for t in hist["traces"]] == [("histogram", 6)]

    # The newest step's confusion matrix: rows actual, columns predicted, and the counts written in the cells.
    cm = drawn("cm")
    assert [(t["type"], t["x"], t["y"]) for t in cm["traces"]] == [("heatmap", ["a", "b", "c"], ["a", "b", "c"])]
    assert cm["traces"][0]["z"] == [[2, 0, 0], [0, 2, 0], [0, 2, 1]]
    assert (cm["xtitle"], cm["ytitle"]) == ("Predicted", "Actual")
    cells = page.locator("[data-testid=media-panel][data-key=cm] .heatmaplayer text").all_text_contents()
    assert sorted(cells) == sorted(["2", "0", "0", "0", "2", "0", "0", "2", "1"])
    # The step slider goes back to step 0, where every prediction was right.
    panel = page.locator("[data-testid=media-panel][data-key=cm]")
    assert panel.get_attribute("data-step") == "1"
    panel.locator("[data-testid=media-slider]").press("Home")
    page.wait_for_selector("[data-testid=media-panel][data-key=cm][data-step='0']")
    assert drawn("cm")["traces"][0]["z"] == [[2, 0, 0], [0, 2, 0], [0, 0, 3]]

    # PR and ROC: one line per class, named by the labels, with W&B's axis titles.
    pr = drawn("pr")
    assert [(t["name"], len(t["x"])) for t in pr["traces"]] == [("a", 21), ("b", 21), ("c", 21)]
    assert all(y == 1.0 for t in pr["traces"] for y in t["y"])  # the true class always scores highest
    assert (pr["xtitle"], pr["ytitle"], pr["title"]) == ("Recall", "Precision", "Precision-Recall Curve")
    roc = drawn("roc")
    assert [t["name"] for t in roc["traces"]] == ["a", "b", "c"]
    for t in roc["traces"]:
        assert (t["x"][0], t["y"][0], t["x"][-1], t["y"][-1]) == (0, 0, 1, 1) and max(t["y"][i] for i, x in enumerate(t["x"]) if x == 0) == 1
    assert (roc["xtitle"], roc["ytitle"]) == ("False positive rate", "True positive rate")

    # A preset the page cannot draw is shown as its table.
    custom = page.locator("[data-testid=media-panel][data-key=custom]")
    custom.locator("[data-testid=media-table] tbody tr >> nth=5").wait_for()
    assert custom.locator("[data-testid=media-table] th").all_text_contents() == ["step", "loss", "name"]


CM_SCRIPT = """
import agent
run = agent.init(project={project!r}, org="local", id={run!r})
agent.log({{"cm": agent.plot.confusion_matrix(y_true=[0, 1, 1], preds={preds!r}, class_names=["cat", "dog"])}})
run.finish()
"""


def test_the_workspace_shows_a_chart_side_by_side_across_runs(web_server: ServerProcess, new_page: Any, tmp_path: Path) -> None:
    project = f"charts-ws-{uuid.uuid4().hex[:6]}"
    run_script(web_server, project, CM_SCRIPT.format(project=project, run="good", preds=[0, 1, 1]), tmp_path)
    run_script(web_server, project, CM_SCRIPT.format(project=project, run="bad", preds=[1, 0, 1]), tmp_path)
    for run_id in ("good", "bad"):
        wait_processed(web_server, project, run_id, {"cm"})
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=ws-media-col] [data-testid=media-chart][data-drawn=\"1\"]').length === 2")
    z = page.locator("[data-testid=ws-media-col]").evaluate_all(
        "cols => Object.fromEntries(cols.map((c) => [c.dataset.run, c.querySelector('[data-testid=media-chart]').data[0].z]))"
    )
    assert z == {"good": [[1, 0], [0, 2]], "bad": [[0, 1], [1, 1]]}
