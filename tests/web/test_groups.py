"""Grouped runs in the browser: a group opened in the runs table, its page's aggregated charts, the run page's link."""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from tests.serverproc import ServerProcess
from tests.web.test_runs_table import Api, project_create, shown_ids, signed_in

pytestmark = [pytest.mark.server, pytest.mark.browser]

# Three processes of one distributed job, and one run of another job.
RANKS = {f"rank{i}": [10.0 * (i + 1) / (s + 1) for s in range(20)] for i in range(3)}


def log(api: Api, run_id: str, group: str, losses: list[float], acc: float) -> None:
    api("PUT", f"/runs/{run_id}", json={"name": f"name-{run_id}", "group": group, "summary": {"acc": acc}})
    api("POST", f"/runs/{run_id}/streams/history", json={"offset": 0, "records": [
        {"step": s, "time": 1_700_000_000.0 + s, "data": {"loss": v}} for s, v in enumerate(losses)]})


def seed(server: ServerProcess) -> tuple[str, Api]:
    slug, api = project_create(server)
    for i, (run_id, losses) in enumerate(RANKS.items()):
        log(api, run_id, "ddp-1", losses, 0.5 + i / 10)
    log(api, "solo", "ddp-2", [1.0, 2.0], 0.1)
    api("PUT", "/table/view", json={"columns": ["state", "summary.acc"]})
    return slug, api


@pytest.fixture(scope="module")
def grouped(web_server: ServerProcess) -> tuple[str, Api]:
    return seed(web_server)


def inner_ids(page: Any) -> list[str]:
    return sorted(page.eval_on_selector_all("tr.rt-inner", "rows => rows.map(r => r.dataset.run)"))


def test_a_group_opens_to_its_runs_stays_open_as_runs_join_and_links_to_its_page(
    web_server: ServerProcess, new_page: Any
) -> None:
    slug, api = seed(web_server)  # its own: runs come and go
    page = signed_in(web_server, new_page, f"/local/{slug}/?group=group")
    page.wait_for_selector("tr.rt-group[data-group='ddp-1']")
    assert page.text_content("tr.rt-group[data-group='ddp-1'] [data-testid=group-count]") == "3"
    page.click("tr.rt-group[data-group='ddp-1'] .rt-expand")
    page.wait_for_selector("tr.rt-inner")
    assert inner_ids(page) == sorted(RANKS)
    # A fourth process starts: the live refresh shows it in the open group, which stays open.
    log(api, "rank3", "ddp-1", [1.0], 0.9)
    page.wait_for_selector("tr.rt-inner[data-run='rank3']", timeout=15_000)
    assert inner_ids(page) == sorted([*RANKS, "rank3"])
    assert page.text_content("tr.rt-group[data-group='ddp-1'] [data-testid=group-count]") == "4"
    assert page.get_attribute("tr.rt-group[data-group='ddp-1'] .rt-expand", "aria-expanded") == "true"
    # Closed again, and opened.
    page.click("tr.rt-group[data-group='ddp-1'] .rt-expand")
    page.wait_for_selector("tr.rt-inner", state="detached")
    page.click("tr.rt-group[data-group='ddp-1']")
    page.wait_for_selector("tr.rt-inner")
    api("DELETE", "/runs/rank3")
    page.wait_for_selector("tr.rt-inner[data-run='rank3']", state="detached", timeout=15_000)
    assert inner_ids(page) == sorted(RANKS)
    page.click("tr.rt-group[data-group='ddp-1'] [data-testid=group-page-link]")
    page.wait_for_url(f"**/local/{slug}/groups/ddp-1/")
    page.wait_for_selector("[data-testid=group-runs] tr[data-run='rank0']")


def test_the_group_page_charts_the_mean_over_the_min_max_band(
    web_server: ServerProcess, new_page: Any, grouped: tuple[str, Api]
) -> None:
    slug, _ = grouped
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    page.goto(f"/local/{slug}/groups/ddp-1/")
    rows = page.eval_on_selector_all("[data-testid=group-runs] tbody tr", "rows => rows.map(r => r.dataset.run)")
    assert sorted(rows) == sorted(RANKS)
    assert page.text_content("[data-testid=group-runs] tr[data-run='rank1'] .state") == "running"
    page.wait_for_selector("[data-testid=group-charts] .panel[data-key=loss] canvas")
    legend = page.text_content(".panel[data-key=loss] [data-testid=group-legend]")
    assert "mean" in legend and "min–max" in legend and "3 runs" in legend
    drawn = page.evaluate("""() => {
        const c = window.cairnCharts.find((c) => c.key === "loss" && c.u);
        return c ? [c.u.series.length, c.u.data[0], c.u.data[1], c.u.data[2], c.u.data[3]] : null;
    }""")
    assert drawn is not None
    n_series, steps, mean, lows, highs = drawn
    assert n_series == 4  # x, and the mean with its min and max
    assert steps == list(range(20))
    for s in range(20):
        values = [losses[s] for losses in RANKS.values()]
        assert mean[s] == pytest.approx(statistics.mean(values))
        assert (lows[s], highs[s]) == (pytest.approx(min(values)), pytest.approx(max(values)))
    # Each run's own line, faint, behind the mean.
    page.check("[data-testid=group-each-run]")
    page.wait_for_function("() => window.cairnCharts.some((c) => c.key === 'loss' && c.u && c.u.series.length === 13)")


def test_a_big_group_shows_its_runs_a_page_at_a_time(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = project_create(web_server)
    for i in range(53):
        api("PUT", f"/runs/w{i:02d}", json={"group": "big"})
    page = signed_in(web_server, new_page, f"/local/{slug}/?group=group")
    page.click("tr.rt-group[data-group='big']")
    page.wait_for_selector("[data-testid=group-more]")
    assert len(inner_ids(page)) == 50
    assert page.text_content("[data-testid=group-more]") == "Show 3 more of the 3 not shown"
    page.click("[data-testid=group-more]")
    page.wait_for_selector("[data-testid=group-more]", state="detached")
    assert inner_ids(page) == [f"w{i:02d}" for i in range(53)]
    assert len(shown_ids(page)) == 53


def test_the_run_page_links_to_its_group(web_server: ServerProcess, new_page: Any, grouped: tuple[str, Api]) -> None:
    slug, _ = grouped
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    page.goto(f"/local/{slug}/runs/rank2")
    page.click("[data-testid=run-group]")
    page.wait_for_url(f"**/local/{slug}/groups/ddp-1/")
    assert page.text_content("[data-testid=group-name]") == "ddp-1"
