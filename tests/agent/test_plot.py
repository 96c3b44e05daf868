"""agent.plot: the points it computes are right, and a script's charts reach a real server.

The curves are checked against small cases worked by hand (and against
what scikit-learn gives for them, which W&B uses).
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.agent.conftest import run_script
from tests.agent.test_media import env_of, history, processed_media
from tests.serverproc import ServerProcess

np = pytest.importorskip("numpy")  # every agent venv of the Makefile has numpy

import agent  # noqa: E402
from agent import AgentWarning  # noqa: E402


def curve(chart: Any, cls: Any) -> list[tuple[float, float]]:
    """(x, y) of one class's curve, as the chart's fields say to draw it."""
    cols = chart.table.columns
    x, y, c = (cols.index(chart.fields[f]) for f in ("x", "y", "class"))
    return [(row[x], row[y]) for row in chart.table.rows if row[c] == cls]


def area(points: list[tuple[float, float]]) -> float:
    pts = sorted(points)
    return sum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in zip(pts, pts[1:]))


def test_it_gives_a_perfect_classifier_an_roc_area_of_one() -> None:
    y = [0, 1, 2, 1, 0, 2]
    probas = np.eye(3)[y] * 0.8 + 0.1  # the true class always scores highest
    chart = agent.plot.roc_curve(y, probas, labels=["cat", "dog", "owl"])
    assert chart.chart == "roc_curve" and chart.spec == "wandb/area-under-curve/v0"
    assert chart.table.columns == ["class", "fpr", "tpr"]
    for name in ("cat", "dog", "owl"):
        points = curve(chart, name)
        assert points[0] == (0.0, 0.0) and points[-1] == (1.0, 1.0)
        assert area(points) == 1.0


def test_it_computes_the_roc_curve_of_a_hand_checked_case() -> None:
    # scikit-learn's own example: scores 0.1, 0.4, 0.35, 0.8 for labels 0, 0, 1, 1.
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    chart = agent.plot.roc_curve([0, 0, 1, 1], np.stack([1 - scores, scores], axis=1), classes_to_plot=[1])
    assert {row[0] for row in chart.table.rows} == {1}
    assert curve(chart, 1) == [(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
    assert area(curve(chart, 1)) == 0.75
    # One column of scores: the probability of the greater class of a binary problem.
    assert curve(agent.plot.roc_curve([0, 0, 1, 1], scores), 1) == curve(chart, 1)


def test_it_interpolates_the_pr_curve_as_w_and_b_draws_it() -> None:
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    chart = agent.plot.pr_curve([0, 0, 1, 1], np.stack([1 - scores, scores], axis=1), interp_size=5)
    assert chart.chart == "pr_curve" and chart.fields == {"x": "recall", "y": "precision", "class": "class"}
    # Ranked 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-): precision 1 at recall 0.5, 2/3 at recall 1;
    # the precision at recall r is the best at any recall of r or more.
    assert curve(chart, 1) == [(1.0, 2 / 3), (0.75, 2 / 3), (0.5, 1.0), (0.25, 1.0), (0.0, 1.0)]
    perfect = agent.plot.pr_curve([0, 1, 1, 0], np.eye(2)[[0, 1, 1, 0]])
    assert len(curve(perfect, 0)) == 21 and all(p == 1.0 for _, p in curve(perfect, 0))


def test_it_counts_the_confusion_matrix() -> None:
    chart = agent.plot.confusion_matrix(y_true=[0, 1, 2, 2, 2], preds=[0, 2, 2, 1, 2], class_names=["a", "b", "c"])
    assert chart.table.columns == ["Actual", "Predicted", "nPredictions"]
    counts = {(a, p): n for a, p, n in chart.table.rows}
    assert len(counts) == 9
    assert counts == {
        ("a", "a"): 1, ("a", "b"): 0, ("a", "c"): 0,
        ("b", "a"): 0, ("b", "b"): 0, ("b", "c"): 1,
        ("c", "a"): 0, ("c", "b"): 1, ("c", "c"): 2,
    }
    # From probabilities: the prediction is the argmax; without names the classes are Class_1, ...
    from_probs = agent.plot.confusion_matrix(probs=[[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]], y_true=[0, 1, 1])
    assert [n for _, _, n in from_probs.table.rows] == [1, 0, 1, 1]
    assert from_probs.table.rows[1][:2] == ["Class_1", "Class_2"]
    with pytest.raises(ValueError):
        agent.plot.confusion_matrix(probs=[[1, 0]], preds=[0], y_true=[0])
    with pytest.raises(ValueError):
        agent.plot.confusion_matrix(y_true=[0, 3], preds=[0, 1], class_names=["a", "b"])


def test_it_keeps_at_most_ten_thousand_points_and_the_ends_of_each_curve() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 20_000)
    probas = rng.dirichlet([1, 1, 1], 20_000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = agent.plot.roc_curve(y, probas)
    # Only ours: a ResourceWarning of another test's garbage may surface here too.
    assert [w.category for w in caught if issubclass(w.category, AgentWarning)] == [AgentWarning]
    assert 9_000 < len(chart.table.rows) <= 10_000
    for cls in (0, 1, 2):
        points = curve(chart, cls)
        assert points[0] == (0.0, 0.0) and points[-1] == (1.0, 1.0)
        assert 0.4 < area(points) < 0.6  # random scores


def test_it_builds_the_table_charts_with_w_and_b_fields() -> None:
    table = agent.Table(columns=["step", "loss", "run"], data=[[0, 1.0, "a"], [1, 0.5, "a"], [0, 2.0, "b"]])
    assert agent.plot.line(table, "step", "loss", stroke="run", title="t").fields == {"x": "step", "y": "loss", "stroke": "run"}
    assert agent.plot.scatter(table, "step", "loss").spec == "wandb/scatter/v0"
    assert agent.plot.bar(table, "run", "loss").fields == {"label": "run", "value": "loss"}
    assert agent.plot.histogram(table, "loss", title="h").string_fields == {"title": "h"}
    series = agent.plot.line_series([[0, 1], [0, 1, 2]], [[1, 2], [3, 4, 5]], keys=["x", "y"], xname="epoch")
    assert series.table.rows == [[0, "x", 1], [1, "x", 2], [0, "y", 3], [1, "y", 4], [2, "y", 5]]
    assert series.string_fields == {"title": "", "xname": "epoch"}
    assert agent.plot_table("wandb/line/v0", table, {"x": "step", "y": "loss"}).chart == "line"
    assert agent.plot_table("me/my-spec", table, {"x": "step"}).chart == "custom"
    with pytest.raises(ValueError, match="no column 'acc'"):
        agent.plot.line(table, "step", "acc")


def test_importing_agent_imports_neither_plot_nor_numpy() -> None:
    code = (
        "import sys, agent\n"
        "assert 'agent.plot' not in sys.modules and 'numpy' not in sys.modules\n"
        "agent.plot.line\n"
        "assert 'numpy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).resolve().parents[2]))


@pytest.mark.server
def test_a_script_logs_each_kind_of_chart_to_the_server(cairn_server: ServerProcess, tmp_path: Path) -> None:
    run_script(
        """
        import numpy as np
        import agent

        run = agent.init(project="charts", id="plots1")
        t = agent.Table(columns=["step", "loss", "name"], data=[[i, 1.0 / (i + 1), "a" if i % 2 else "b"] for i in range(6)])
        y = [0, 1, 2, 1, 0, 2, 2]
        probas = np.eye(3)[y] * 0.7 + 0.1
        for step in range(2):
            agent.log({
                "line": agent.plot.line(t, "step", "loss", stroke="name", title="Loss"),
                "series": agent.plot.line_series([0, 1, 2], [[1, 2, 3], [3, 2, 1]], keys=["up", "down"], xname="epoch"),
                "scatter": agent.plot.scatter(t, "step", "loss"),
                "bar": agent.plot.bar(t, "name", "loss"),
                "hist": agent.plot.histogram(t, "loss"),
                "cm": agent.plot.confusion_matrix(y_true=y, preds=[0, 1, 2, 1, 0, 2, 1], class_names=["a", "b", "c"]),
                "pr": agent.plot.pr_curve(y, probas, labels=["a", "b", "c"]),
                "roc": agent.plot.roc_curve(y, probas, labels=["a", "b", "c"]),
                "custom": agent.plot_table("wandb/bar/v0", t, {"label": "name", "value": "loss"}, {"title": "Bars"}),
            })
        agent.finish()
        """,
        tmp_path,
        env=env_of(cairn_server),
    )
    rows = processed_media(cairn_server, "plots1", count=18)
    assert {(r["key"], r["step"]) for r in rows} == {
        (k, s) for k in ("bar", "cm", "custom", "hist", "line", "pr", "roc", "scatter", "series") for s in (0, 1)
    }
    for r in rows:
        assert (r["kind"], r["status"], r["content_type"]) == ("chart", "ready", "application/json"), r
    by_key = {r["key"]: r for r in rows if r["step"] == 1}
    assert {k: r["meta"]["chart"] for k, r in by_key.items()} == {
        "line": "line", "series": "line_series", "scatter": "scatter", "bar": "bar", "hist": "histogram",
        "cm": "confusion_matrix", "pr": "pr_curve", "roc": "roc_curve", "custom": "bar",
    }
    assert by_key["line"]["meta"]["fields"] == {"x": "step", "y": "loss", "stroke": "name"}
    assert by_key["line"]["meta"]["string_fields"] == {"title": "Loss"}
    assert by_key["roc"]["meta"]["string_fields"]["x-axis-title"] == "False positive rate"
    assert by_key["cm"]["meta"]["nrows"] == 9
    # The table travels as the chart's file; the history row holds the reference.
    ref = history(cairn_server, "charts", "plots1", "cm")[1]["cm"]
    assert ref["_type"] == "chart" and ref["path"] == by_key["cm"]["path"]
    url = f"{cairn_server.url}/api/v1/projects/{cairn_server.org}/charts/runs/plots1/files/{ref['path']}"
    got = requests.get(url, headers={"Authorization": f"Bearer {cairn_server.api_key}"}, timeout=10)
    table = json.loads(got.content)
    assert table["columns"] == ["Actual", "Predicted", "nPredictions"]
    assert {(a, p): n for a, p, n in table["data"]}[("c", "b")] == 1
