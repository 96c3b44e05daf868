"""A report's line panel with "ignore outliers" (W&B's option, as the workspace's panels
have it): stored with the block, drawn by the page's charts and by the exports' SVG with
the y-axis from the 5th to 95th percentile, so one spike does not flatten the line."""

from __future__ import annotations

import re
from typing import Any

import pytest

from apps.reports.svg import line_svg
from tests.factories import world_create
from tests.reports.helpers import report_make, runs_seed

SPIKE = 1000.0


def data() -> dict[str, Any]:
    values = [SPIKE if s == 50 else 1.0 + (s % 10) / 10 for s in range(100)]
    return {"keys": ["loss"], "runs": [{"name": "a", "series": {"loss": {"steps": list(range(100)), "values": values,
                                                                          "min": values, "max": values}}}]}


def y_labels(svg: str) -> list[float]:
    units = {"k": 1e3, "M": 1e6, "G": 1e9}
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', svg)
    return [float(t[:-1]) * units[t[-1]] if t[-1] in units else float(t) for t in labels]


@pytest.mark.parametrize("log", [False, True])
def test_the_exported_chart_leaves_the_spike_off_the_axis(log: bool) -> None:
    assert max(y_labels(line_svg(data(), {"log": log}))) >= SPIKE / 2  # min to max: the line is flat at the bottom
    svg = line_svg(data(), {"log": log, "ignore_outliers": True})
    assert max(y_labels(svg)) < 10
    assert 'clip-path="url(#cairn-line-frame)"' in svg  # the spike runs off the top, not over the frame
    smoothed = line_svg(data(), {"log": log, "smoothing": 0.6, "ignore_outliers": True})
    assert max(y_labels(smoothed)) < 100


@pytest.mark.django_db
def test_a_line_panel_keeps_the_option_only_when_on() -> None:
    w = world_create()
    runs_seed(w.private, steps=5)
    key = report_make(w, blocks=[])["id"]
    block: dict[str, Any] = {"type": "panel", "panel": {"kind": "line", "title": "loss", "keys": ["loss"], "ignore_outliers": True,
                                        "runset": {"runs": ["run0", "run1"]}}}
    r = w.owner.client().post(f"/api/v1/reports/{key}/blocks", {"block": block}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["draft"]["blocks"][0]["panel"]["ignore_outliers"] is True
    off = {**block, "panel": {**block["panel"], "ignore_outliers": False}}
    r = w.owner.client().post(f"/api/v1/reports/{key}/blocks", {"block": off}, format="json")
    assert "ignore_outliers" not in r.json()["draft"]["blocks"][1]["panel"]
    bad = {**block, "panel": {**block["panel"], "ignore_outliers": "yes"}}
    r = w.owner.client().post(f"/api/v1/reports/{key}/blocks", {"block": bad}, format="json")
    assert r.status_code == 400 and r.json()["field"].endswith("ignore_outliers")
