"""A workspace panel's "Ignore outliers" (W&B's option): the y-axis fitted to the 5th-95th
percentile of the lines in view, so one spike does not flatten the rest of the line;
with log scale, smoothing and another x-axis, and kept in the saved layout."""

from __future__ import annotations

from typing import Any

import pytest

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in
from tests.web.test_charts import wait_chart
from tests.web.test_runs_table import project_create, signed_in
from tests.web.test_workspace import saved_layout

pytestmark = [pytest.mark.server, pytest.mark.browser]

SPIKE = 1000.0
STEPS = 100


def y_scale(page: Any) -> list[float]:
    return page.evaluate("() => { const y = window.cairnCharts.find(c => c.key === 'loss').u.scales.y; return [y.min, y.max]; }")


def menu(page: Any) -> Any:
    panel = page.locator("[data-testid=panel][data-key=loss]")
    if not panel.locator("[data-testid=panel-outliers]").is_visible():
        panel.locator("[data-testid=panel-menu]").click()
    return panel


def test_a_spike_does_not_flatten_the_line_when_outliers_are_ignored(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = project_create(web_server)
    for run_id, offset in (("o-a", 0.0), ("o-b", 0.5)):
        api("PUT", f"/runs/{run_id}", json={"name": run_id})
        api("POST", f"/runs/{run_id}/streams/history", json={"offset": 0, "records": [
            {"step": s, "time": 1_700_000_000.0 + s,
             "data": {"loss": SPIKE if (run_id, s) == ("o-a", 50) else 1.0 + offset + (s % 10) / 10}}
            for s in range(STEPS)]})
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    wait_chart(page, "loss", lambda s: s["points"] == STEPS)
    assert y_scale(page)[1] >= SPIKE  # by default the axis holds the spike: the rest is a flat line at the bottom

    menu(page).locator("[data-testid=panel-outliers]").check()
    page.wait_for_function("() => window.cairnCharts.find(c => c.key === 'loss').u.scales.y.max < 10")
    low, high = y_scale(page)
    assert 0 <= low <= 1.2 and 2.0 <= high < 10  # the lines' own range (1.0 to 2.4), give or take padding
    saved = saved_layout(api, lambda w: any(p.get("ignore_outliers") for p in w["panels"]))
    assert [p for p in saved["panels"] if p["key"] == "loss"][0]["ignore_outliers"] is True

    # Together with the other options: log scale, smoothing, wall time on the x-axis.
    panel = menu(page)
    panel.locator("[data-testid=panel-log]").check()
    page.wait_for_function("() => { const u = window.cairnCharts.find(c => c.key === 'loss').u; return u && u.scales.y.distr === 3; }")
    assert y_scale(page)[1] < 100 and y_scale(page)[0] > 0
    panel.locator("[data-testid=panel-smoothing]").fill("0.6")
    page.wait_for_function("() => window.cairnCharts.find(c => c.key === 'loss').chart.opts.smoothing === 0.6")
    assert y_scale(page)[1] < 100
    panel.locator("[data-testid=panel-x]").select_option("time")
    wait_chart(page, "loss", lambda s: s["first"] >= 1_700_000_000)
    assert y_scale(page)[1] < 100
    panel.locator("[data-testid=panel-log]").uncheck()
    page.wait_for_function("() => window.cairnCharts.find(c => c.key === 'loss').u.scales.y.distr === 1")
    assert y_scale(page)[1] < 10
    saved_layout(api, lambda w: any(p.get("x") == "time" and not p["log"] for p in w["panels"]))

    # A reload: the saved panel still ignores the spike, its menu says so.
    page.reload()
    wait_chart(page, "loss", lambda s: s["points"] == STEPS)
    assert y_scale(page)[1] < 10
    assert menu(page).locator("[data-testid=panel-outliers]").is_checked()
    # Copied into a report, the chart still leaves the spike off its axis there.
    key = api("POST", "/reports", json={"title": "Spikes"})["id"]
    panel = menu(page)
    panel.locator("[data-testid=panel-add-report]").click()
    panel.locator("[data-testid=add-report-item]", has_text="Spikes").click()
    panel.locator("[data-testid=add-report-done] a").wait_for()
    [block] = api.s.get(f"{web_server.url}/api/v1/reports/{key}").json()["draft"]["blocks"]
    assert block["panel"]["ignore_outliers"] is True
    report = new_page(web_server.url)
    sign_in(report, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    report.goto(f"/local/{slug}/reports/{key}/?draft=1")
    report.wait_for_function("() => { const c = (window.cairnCharts || []).find(c => c.u && c.el.dataset.drawnAt); "
                             "return c && c.u.data[0].length > 0 && c.u.scales.y.max < 10; }")
    # Turned off, the spike is back in view, and the layout no longer carries the option.
    menu(page).locator("[data-testid=panel-outliers]").uncheck()
    page.wait_for_function(f"() => window.cairnCharts.find(c => c.key === 'loss').u.scales.y.max >= {SPIKE}")
    saved = saved_layout(api, lambda w: not any("ignore_outliers" in p for p in w["panels"]))
    assert not any("ignore_outliers" in p for p in saved["panels"])
