"""The report's parameter importance panel: which parameter explains the metric, drawn as the page is read."""

from __future__ import annotations

import random

import pytest

from tests.factories import run_create, world_create
from tests.reports.helpers import report_make

pytestmark = pytest.mark.django_db


def _panel(**fields: object) -> dict[str, object]:
    panel = {"kind": "importance", "title": "What matters", "metric": "summary.acc",
             "fields": ["config.lr", "config.noise", "config.opt"], "runset": {}}
    return {"id": "i1", "type": "panel", "panel": {**panel, **fields}}


def test_the_parameter_that_drives_the_metric_comes_first_with_its_sign() -> None:
    w = world_create()
    rng = random.Random(3)
    for i in range(20):
        lr = rng.uniform(0.001, 0.1)
        run_create(w.private, f"run{i}", name=f"run-{i}", state="finished",
                   config={"lr": lr, "noise": rng.random(), "opt": rng.choice(["adam", "sgd"])},
                   summary={"acc": 1.0 - 5 * lr})  # acc falls as lr grows; noise and opt mean nothing
    run_create(w.private, "nometric", state="finished", config={"lr": 0.5, "noise": 0.1, "opt": "adam"}, summary={})
    key = report_make(w, publish="org", blocks=[_panel()])["id"]

    data = w.viewer.client().get(f"/api/v1/reports/{key}/panels/i1/data").json()
    assert data["runs_used"] == 20  # the run without the metric is left out
    names = [p["name"] for p in data["params"]]
    assert names[0] == "config.lr" and sorted(names) == ["config.lr", "config.noise", "config.opt"]
    lr = data["params"][0]
    assert lr["importance"] > 0.8 and lr["correlation"] == pytest.approx(-1.0)
    assert sum(p["importance"] for p in data["params"]) == pytest.approx(1.0)

    page = w.viewer.browser().get(f"/acme/secret/reports/{key}/").content.decode()
    assert "importance of each parameter for summary.acc" in page
    assert "importance 0.8" in page or "importance 0.9" in page or "importance 1.00" in page
    assert "correlation -1.00" in page and 'fill="#c62828"' in page  # red: it lowers the metric


def test_too_few_runs_say_so_and_a_panel_without_a_metric_is_refused() -> None:
    w = world_create()
    run_create(w.private, "a", state="finished", config={"lr": 0.1, "noise": 1, "opt": "x"}, summary={"acc": 0.5})
    key = report_make(w, publish="org", blocks=[_panel()])["id"]
    page = w.viewer.browser().get(f"/acme/secret/reports/{key}/").content.decode()
    assert "Too few runs with numbers to tell (1 of at least 3)" in page
    r = w.owner.client().post("/api/v1/projects/acme/secret/reports",
                              {"title": "x", "blocks": [_panel(metric=None)]}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "blocks[0].panel.metric"
    r = w.owner.client().post("/api/v1/projects/acme/secret/reports",
                              {"title": "x", "blocks": [_panel(fields=[])]}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "blocks[0].panel.fields"


def test_hostile_parameter_names_stay_text_in_the_svg() -> None:
    w = world_create()
    for i in range(4):
        run_create(w.private, f"r{i}", state="finished", config={'x"><script>': i}, summary={"acc": i / 4})
    key = report_make(w, publish="org", blocks=[_panel(fields=['config.`x"><script>`'])])["id"]
    page = w.viewer.browser().get(f"/acme/secret/reports/{key}/").content.decode()
    assert "<script>`" not in page and "&lt;script&gt;" in page
