"""The project workspace's charts in the browser: sampled points, spikes, zoom, live runs."""

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


def _api(server: ServerProcess, key: str | None = None) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {key or server.api_key}"
    return s


def log_steps(s: requests.Session, base: str, run_id: str, values: Any, n: int, batch: int = 10_000) -> None:
    assert s.put(f"{base}/runs/{run_id}", json={"name": run_id}).status_code in (200, 201)
    for start in range(0, n, batch):
        records = [{"step": i, "time": 1_700_000_000 + i, "data": {"loss": values(i)}} for i in range(start, min(n, start + batch))]
        r = s.post(f"{base}/runs/{run_id}/streams/history", json={"offset": start, "records": records})
        assert r.status_code == 200, r.text


def chart_state(page: Any, key: str) -> Any:
    return page.evaluate(
        """key => {
            const c = (window.cairnCharts || []).find(c => c.key === key);
            if (!c || !c.u) return null;
            const d = c.u.data;
            const band = d[3].filter(v => v !== null);
            return {points: d[0].length, first: d[0][0], last: d[0][d[0].length - 1],
                    bandMax: band.length ? Math.max(...band) : null, drawn: !!c.el.dataset.drawnAt};
        }""",
        key,
    )


def wait_chart(page: Any, key: str, until: Any = lambda s: True, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = chart_state(page, key)
        if state and state["drawn"] and until(state):
            return state
        time.sleep(0.1)
    raise AssertionError(f"chart {key!r} never got there; last state {state}")


def open_sections(page: Any) -> None:
    """Open every closed section of the workspace (at first only the first is open)."""
    page.wait_for_selector("[data-testid=section]")
    closed = page.eval_on_selector_all("[data-testid=section].closed", "ss => ss.map(s => s.dataset.section)")
    for name in closed:
        page.click(f"[data-testid=section][data-section='{name}'] [data-testid=section-toggle]")


def test_a_chart_holds_the_sampled_points_and_shows_a_one_step_spike(web_server: ServerProcess, new_page: Any) -> None:
    project = f"spike-{uuid.uuid4().hex[:6]}"
    base = f"{web_server.url}/api/v1/projects/local/{project}"
    s = _api(web_server)
    log_steps(s, base, "r1", lambda i: 50.0 if i == 61_234 else 1.0 + (i % 7) / 100, 100_000)
    sampled = s.get(f"{base}/history", params={"runs": "r1", "keys": "loss", "samples": 1000}).json()
    expected = len(sampled["runs"]["r1"]["series"]["loss"]["steps"])
    assert 500 < expected <= 1000

    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/")
    state = wait_chart(page, "loss")
    assert state["points"] == expected
    assert state["bandMax"] == 50.0  # the spike's bucket reaches it, though its mean does not

    # Drag-zoom into a tenth of the run: the chart swaps in finer points of that range.
    box = page.locator("[data-testid=panel][data-key=loss] .u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.45, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.55, y, steps=5)
    page.mouse.up()
    zoomed = wait_chart(page, "loss", lambda st: st["first"] > 30_000 and st["last"] - st["first"] < 20_000)
    assert zoomed["points"] > 500  # step widths of ~10, not the whole run's 128

    # Double-click: back to the whole run.
    page.dblclick("[data-testid=panel][data-key=loss] .u-over")
    assert wait_chart(page, "loss", lambda st: st["first"] == 0)["points"] == expected


def test_a_run_logged_by_the_agent_appears_and_its_chart_grows_without_a_reload(
    web_server: ServerProcess, new_page: Any, tmp_path: Path
) -> None:
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto("/settings/keys/")
    page.fill("[data-testid=create-key] input[name=name]", "live chart test")
    page.click("[data-testid=create-key] button")
    key = page.text_content("[data-testid=new-key]").strip()
    assert key.startswith("cairn_")

    project = f"live-{uuid.uuid4().hex[:6]}"
    r = _api(web_server, key).post(f"{web_server.url}/api/v1/orgs/local/projects", json={"slug": project})
    assert r.status_code == 201, r.text
    page.goto(f"/local/{project}/")
    page.evaluate("window.marker = 'not reloaded'")

    script = textwrap.dedent(
        f"""
        import math, time, agent
        run = agent.init(project={project!r}, org="local", name="live-run")
        for step in range(300):
            agent.log({{"loss": math.exp(-step / 100)}}, step=step)
            time.sleep(0.04)
        run.finish()
        """
    )
    env = {**os.environ, "CAIRN_BASE_URL": web_server.url, "CAIRN_API_KEY": key, "PYTHONPATH": str(ROOT)}
    env.pop("CAIRN_TASKS_EAGER", None)
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=str(tmp_path))
    try:
        first = wait_chart(page, "loss", lambda st: st["points"] > 0, timeout=30)
        grown = wait_chart(page, "loss", lambda st: st["points"] > first["points"], timeout=30)
        assert grown["points"] > first["points"]
        assert proc.wait(timeout=60) == 0
        # It keeps following until the run finishes, then has every step.
        wait_chart(page, "loss", lambda st: st["points"] == 300, timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert page.evaluate("window.marker") == "not reloaded"
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


@pytest.mark.parametrize("width", [1440, 390])
def test_panel_titles_are_whole_at_every_width(web_server: ServerProcess, new_page: Any, width: int) -> None:
    project = f"titles-{uuid.uuid4().hex[:6]}"
    base = f"{web_server.url}/api/v1/projects/local/{project}"
    s = _api(web_server)
    keys = ["epoch", "train/loss", "train/accuracy", "val/loss", "val/accuracy_top5_of_the_validation_set"]
    s.put(f"{base}/runs/r1", json={"name": "r1"}).raise_for_status()
    s.post(f"{base}/runs/r1/streams/history", json={"offset": 0, "records": [
        {"step": i, "time": 1_700_000_000 + i, "data": {k: float(i + j) for j, k in enumerate(keys)}} for i in range(20)
    ]}).raise_for_status()
    page = new_page(web_server.url)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/")
    open_sections(page)
    for k in keys:
        wait_chart(page, k)
    titles = page.eval_on_selector_all(
        "[data-testid=panel] .panel-title",
        "ts => ts.map(t => [t.textContent, t.scrollWidth <= t.clientWidth + 1, t.getBoundingClientRect().width > 0])")
    assert sorted(t[0] for t in titles) == sorted(keys)
    assert all(whole and shown for _, whole, shown in titles), titles


def test_the_tooltip_names_only_the_runs_with_data_at_the_cursor(web_server: ServerProcess, new_page: Any) -> None:
    # On the wall-time axis, a run that ran earlier has no value now: the tip must not lend it its last one.
    project = f"tip-{uuid.uuid4().hex[:6]}"
    base = f"{web_server.url}/api/v1/projects/local/{project}"
    s = _api(web_server)
    for run_id, t0 in (("early", 1_700_000_000), ("late", 1_700_010_000)):
        s.put(f"{base}/runs/{run_id}", json={"name": run_id}).raise_for_status()
        s.post(f"{base}/runs/{run_id}/streams/history", json={"offset": 0, "records": [
            {"step": i, "time": t0 + i * 10, "data": {"loss": 1.0 + i}} for i in range(50)]}).raise_for_status()
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/")
    wait_chart(page, "loss")
    page.click("[data-testid=panel][data-key=loss] [data-testid=panel-menu]")
    page.select_option("[data-testid=panel][data-key=loss] [data-testid=panel-x]", "time")
    page.keyboard.press("Escape")  # the menu closed, the plot in view again
    wait_chart(page, "loss", lambda st: st["first"] is not None and st["first"] > 1e9)
    box = page.locator("[data-testid=panel][data-key=loss] .u-over").bounding_box()

    def names_at(fraction: float) -> list[str]:
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
        page.wait_for_selector("[data-testid=panel][data-key=loss] .chart-tip:not([hidden])")
        return page.locator("[data-testid=panel][data-key=loss] .chart-tip-name").all_text_contents()

    assert names_at(0.98) == ["late"]
    assert names_at(0.02) == ["early"]
    assert names_at(0.5) == []  # between the two runs, neither has data


def test_add_panel_offers_only_keys_a_line_chart_can_draw(web_server: ServerProcess, new_page: Any) -> None:
    from tests.web.media_seed import histogram

    project = f"add-{uuid.uuid4().hex[:6]}"
    base = f"{web_server.url}/api/v1/projects/local/{project}"
    s = _api(web_server)
    s.put(f"{base}/runs/r1", json={"name": "r1"}).raise_for_status()
    s.post(f"{base}/runs/r1/streams/history", json={"offset": 0, "records": [
        {"step": i, "time": 1_700_000_000 + i, "data": {"loss": 1.0 / (i + 1), "acc": i / 10, "weights": histogram(i, 8)}}
        for i in range(10)]}).raise_for_status()
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/")
    wait_chart(page, "loss")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=add-panel-key] option').length > 0")
    offered = page.locator("[data-testid=add-panel-key] option").all_text_contents()
    assert sorted(offered) == ["acc", "loss"]  # not the histogram, which would draw "No data"
