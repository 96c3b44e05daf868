"""The sweep page in Chromium: controls that reach the server, and parallel coordinates whose brush filters the runs table."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]


def seeded_sweep(server: ServerProcess, visibility: str = "private") -> tuple[str, str, dict[str, float]]:
    """A grid sweep of six runs, each run through as an agent's run would be: created naming the sweep, logged, finished."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    api = f"{server.url}/api/v1"
    project = f"sw-{uuid.uuid4().hex[:6]}"
    assert s.post(f"{api}/orgs/local/projects", json={"slug": project, "visibility": visibility}).ok
    r = s.post(f"{api}/projects/local/{project}/sweeps/", json={"config": {
        "method": "grid", "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"lr": {"values": [0.1, 0.01, 0.001]}, "batch": {"values": [16, 32]}},
    }})
    assert r.status_code == 201, r.text
    sweep_id = r.json()["id"]
    losses: dict[str, float] = {}
    while True:
        nxt = s.post(f"{api}/projects/local/{project}/sweeps/{sweep_id}/next", json={"agent": "seed"}).json()
        if nxt["action"] != "run":
            break
        run_id, params = nxt["run_id"], nxt["params"]
        loss = params["lr"] * 10 + params["batch"] / 100
        losses[run_id] = loss
        run = f"{api}/projects/local/{project}/runs/{run_id}"
        s.put(run, json={"config": params, "sweep": sweep_id}).raise_for_status()
        s.post(f"{run}/streams/history", json={"offset": 0, "records": [
            {"step": i, "time": 1_700_000_000 + i, "data": {"loss": loss + 1.0 / (i + 1)}} for i in range(20)
        ]}).raise_for_status()
        s.patch(run, json={"summary": {"loss": loss}}).raise_for_status()
        s.post(f"{run}/finish", json={"exit_code": 0}).raise_for_status()
    deadline = time.monotonic() + 30  # importance is computed by the worker
    while time.monotonic() < deadline and not s.get(f"{api}/projects/local/{project}/sweeps/{sweep_id}/importance").json().get("params"):
        time.sleep(0.2)
    return project, sweep_id, losses


def _open(page: Any, server: ServerProcess, project: str, sweep_id: str) -> None:
    page.goto(f"/local/{project}/sweeps/{sweep_id}/")
    page.wait_for_selector("body[data-sweep-ready='1']")


def test_brushing_an_axis_filters_the_runs_table(web_server: ServerProcess, new_page: Any) -> None:
    project, sweep_id, losses = seeded_sweep(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    _open(page, web_server, project, sweep_id)
    rows = page.locator("[data-testid=sweep-runs-table] tbody tr")
    assert rows.count() == 6
    assert page.locator("[data-testid=sweep-scatter]").count() == 2
    assert page.locator("[data-testid=sweep-importance] tbody tr").count() == 2
    page.wait_for_selector("[data-testid=sweep-metric-chart] canvas")
    # Drag from below the loss axis to its middle: only the runs with the lowest loss stay.
    box = page.locator("[data-axis-target='loss']").bounding_box()
    x, bottom, height = box["x"] + box["width"] / 2, box["y"] + box["height"], box["height"]
    page.mouse.move(x, bottom - 1)
    page.mouse.down()
    page.mouse.move(x, bottom - 0.5 * height, steps=5)
    page.mouse.up()
    lo, hi = min(losses.values()), max(losses.values())
    expected = {r for r, v in losses.items() if (v - lo) / (hi - lo) < 0.5}
    visible = {rows.nth(i).get_attribute("data-run") for i in range(6) if rows.nth(i).is_visible()}
    assert visible == expected and 0 < len(expected) < 6
    assert page.get_by_test_id("sweep-runs-count").text_content() == f"{len(expected)} of 6 runs"
    # A click without a drag clears the brush.
    page.mouse.click(x, bottom - 0.8 * height)
    assert all(rows.nth(i).is_visible() for i in range(6))


def test_the_controls_reach_the_server_and_agents(web_server: ServerProcess, new_page: Any) -> None:
    project, _, _ = seeded_sweep(web_server)
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {web_server.api_key}"
    # A grid of six is exhausted and finished; a random sweep of the same project is the one to control.
    r = s.post(f"{web_server.url}/api/v1/projects/local/{project}/sweeps/", json={"config": {
        "method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}}})
    sweep_id = r.json()["id"]
    sweep_api = f"{web_server.url}/api/v1/projects/local/{project}/sweeps/{sweep_id}"
    running = s.post(f"{sweep_api}/next", json={"agent": "a"}).json()["run_id"]
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    _open(page, web_server, project, sweep_id)
    state = page.locator("h1 [data-testid=sweep-state]")
    # Stop one run early from its row: its agent's next heartbeat says to stop it.
    page.click(f"button[data-stop='{running}']")
    expect(page.locator(f"tr[data-run='{running}']")).to_contain_text("stopping")
    assert s.post(f"{sweep_api}/agents/a/heartbeat", json={"runs": [running]}).json()["stop"] == [running]
    page.click("button[data-action=pause]")
    expect(state).to_have_text("paused")
    assert s.post(f"{sweep_api}/next", json={"agent": "a"}).json()["action"] == "wait"
    page.click("button[data-action=resume]")
    expect(state).to_have_text("running")
    assert s.post(f"{sweep_api}/next", json={"agent": "a"}).json()["action"] == "run"
    page.click("button[data-action=cancel]")
    expect(state).to_have_text("cancelled")
    # The running agent hears it at its next heartbeat: its run is to stop.
    beat = s.post(f"{sweep_api}/agents/a/heartbeat", json={"runs": [running]}).json()
    assert beat["state"] == "cancelled" and beat["stop"] == [running]
    page.click("button[data-action=resume]")
    expect(page.locator("#sweep-control-error")).to_contain_text("cannot resume")
    assert state.text_content() == "cancelled"


def test_a_signed_out_visitor_of_a_public_project_reads_without_controls(web_server: ServerProcess, new_page: Any) -> None:
    project, sweep_id, _ = seeded_sweep(web_server, visibility="public")
    page = new_page(web_server.url)
    _open(page, web_server, project, sweep_id)
    assert page.locator("[data-testid=sweep-runs-table] tbody tr").count() == 6
    assert page.locator("[data-testid=sweep-controls]").count() == 0
    page.goto(f"/local/{project}/sweeps/")
    assert page.locator("[data-testid=sweeps] tbody tr").count() == 1


def test_cancel_in_the_page_stops_a_real_agents_run(web_server: ServerProcess, new_page: Any, tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    from tests.serverproc import ROOT

    project = f"sw-{uuid.uuid4().hex[:6]}"
    (tmp_path / "train.py").write_text("import agent, time\nwith agent.init() as run:\n    open('started', 'w').close()\n    time.sleep(300)\n")
    (tmp_path / "sweep.yaml").write_text("program: train.py\nmethod: random\nparameters:\n  x: {min: 0.0, max: 1.0}\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), CAIRN_BASE_URL=web_server.url, CAIRN_API_KEY=web_server.api_key,
               CAIRN_ORG="local", CAIRN_QUIET="true", CAIRN_AGENT_HEARTBEAT="0.5", CAIRN_AGENT_GRACE="2")
    path = subprocess.run([sys.executable, "-m", "agent.cli", "sweep", "sweep.yaml", "--project", project], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=True).stdout.strip()
    agent = subprocess.Popen([sys.executable, "-m", "agent.cli", "agent", path], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        page = new_page(web_server.url)
        sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
        _open(page, web_server, project, path.split("/")[2])
        page.click("button[data-action=cancel]")
        expect(page.locator("h1 [data-testid=sweep-state]")).to_have_text("cancelled")
        out, _ = agent.communicate(timeout=60)
        assert agent.returncode == 0 and "the sweep was cancelled" in out
    finally:
        if agent.poll() is None:
            agent.kill()


def test_to_a_report_makes_a_draft_with_the_reports_panels_over_the_sweeps_runs(web_server: ServerProcess, new_page: Any) -> None:
    project, sweep_id, losses = seeded_sweep(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    _open(page, web_server, project, sweep_id)
    page.click("[data-testid=sweep-report]")
    page.wait_for_url(f"**/local/{project}/reports/*/edit")
    report_id = page.url.rstrip("/").split("/")[-2]
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {web_server.api_key}"
    api = f"{web_server.url}/api/v1/reports/{report_id}"
    blocks = s.get(api).json()["draft"]["blocks"]
    assert [b["panel"]["kind"] for b in blocks] == ["parallel", "importance", "scatter", "scatter", "line"]
    assert blocks[0]["panel"]["fields"] == ["config.lr", "config.batch", "summary.loss"]
    assert blocks[0]["panel"]["runset"]["filter"] == f'sweep = "{sweep_id}"'  # live: the sweep's runs
    data = s.get(f"{api}/data", params={"blocks": "s0,s1", "draft": "1"}).json()["panels"]
    got = {r["id"]: r["values"][2] for r in data["s0"]["runs"]}
    assert got == pytest.approx(losses)
    # The loss is lr * 10 + batch / 100: lr matters most, and both raise it.
    assert [p["name"] for p in data["s1"]["params"]] == ["config.lr", "config.batch"]
    assert all(p["correlation"] > 0 for p in data["s1"]["params"])
