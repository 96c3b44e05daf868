"""The run page in the browser: overview, console colours, notes, files, who may see it."""

from __future__ import annotations

import hashlib
import re
import subprocess
import uuid
from typing import Any

import pytest
import requests

from tests.serverproc import ROOT, ServerProcess, server_python
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]

XSS = '<img src=x onerror="window.__xss=1">'


def seeded_run(server: ServerProcess, visibility: str = "private") -> tuple[str, requests.Session]:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    project = f"rp-{uuid.uuid4().hex[:6]}"
    assert s.post(f"{server.url}/api/v1/orgs/local/projects", json={"slug": project, "visibility": visibility}).ok
    run = f"{server.url}/api/v1/projects/local/{project}/runs/r1"
    s.put(run, json={
        "name": f"name {XSS}", "tags": [XSS], "notes": f"notes {XSS}", "config": {"lr": 0.001, "evil": XSS},
        "system": {"host": "gpu01", "program": "train.py", "args": ["--lr", "3e-4"],
                   "git": {"remote": "git@example.com:a/b.git", "branch": "main", "commit": "abc123", "dirty": True}},
    }).raise_for_status()
    s.post(f"{run}/streams/history", json={"offset": 0, "records": [
        {"step": i, "time": 1_700_000_000 + i, "data": {"loss": 1 / (i + 1), "acc": i / 100}} for i in range(100)
    ]}).raise_for_status()
    s.post(f"{run}/streams/system", json={"offset": 0, "records": [
        {"time": 1_700_000_000 + 10 * i, "data": {"cpu.percent": 50.0 + i, "memory.percent": 30.0}} for i in range(20)
    ]}).raise_for_status()
    s.post(f"{run}/streams/console", json={"offset": 0, "records": [
        {"time": 1_700_000_000, "stream": "stdout", "line": "plain start"},
        {"time": 1_700_000_001, "stream": "stdout", "line": "\x1b[1;31mred alert\x1b[0m then <b>not bold</b> " + XSS},
        {"time": 1_700_000_002, "stream": "stderr", "line": "\x1b[32mgreen\x1b[0m done"},
    ]}).raise_for_status()
    patch = b"--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-lr = 1e-3\n+lr = 3e-4  # <script>window.__xss=1</script>\n"
    s.put(f"{run}/files/code/diff.patch", data=patch,
          headers={"X-Cairn-Sha256": hashlib.sha256(patch).hexdigest()}).raise_for_status()
    return project, s


def test_the_run_page_shows_everything_as_text_with_coloured_console(web_server: ServerProcess, new_page: Any) -> None:
    project, _ = seeded_run(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/r1#logs")
    page.wait_for_selector("[data-testid=console] .line >> nth=2")
    red = page.locator("[data-testid=console] span.ansi-red")
    assert red.text_content() == "red alert"
    assert "ansi-bold" in (red.get_attribute("class") or "")
    assert page.locator("[data-testid=console] span.ansi-green").text_content() == "green"
    second = page.locator("[data-testid=console] .line").nth(1).text_content()
    assert second == "red alert then <b>not bold</b> " + XSS
    assert page.locator("[data-testid=console] b").count() == 0

    # The filter hides what does not match.
    page.fill("[data-testid=console-filter]", "green")
    assert page.locator("[data-testid=console] .line:visible").count() == 1

    page.click("[data-testid=tab-code]")
    page.wait_for_selector("[data-testid=diff] .d-add")
    assert "<script>" in page.locator("[data-testid=diff] .d-add").text_content()
    assert page.locator("[data-testid=diff] .d-del").text_content().startswith("-lr")
    assert page.text_content(".run-title") == f"name {XSS}"
    assert "train.py --lr 3e-4" in page.text_content("[data-testid=overview]")
    assert XSS in page.text_content("[data-testid=config]")
    page.wait_for_function("() => (window.cairnCharts || []).filter(c => c.u).length === 4")  # loss, acc, cpu, memory
    assert page.locator("#run-page img").count() == 0
    assert page.evaluate("window.__xss") is None


def test_smoothing_and_log_scale_apply_to_the_runs_metric_charts(web_server: ServerProcess, new_page: Any) -> None:
    project, _ = seeded_run(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/r1#charts")
    page.wait_for_function("() => (window.cairnCharts || []).filter(c => c.u).length === 4")
    loss = "window.cairnCharts.find(c => c.key === 'loss').u"
    raw = page.evaluate(f"Array.from({loss}.data[1])")
    assert raw[:3] == [1.0, 0.5, 1 / 3]  # what was logged, unsmoothed

    page.fill("[data-testid=run-smoothing]", "0.9")
    smoothed = page.evaluate(f"Array.from({loss}.data[1])")
    assert smoothed[0] == raw[0] and smoothed[1] > raw[1]  # an EMA lags the falling loss
    assert page.evaluate("window.cairnCharts.find(c => c.key === 'cpu.percent').chart.opts.smoothing") == 0

    page.check("[data-testid=run-log]")
    assert page.evaluate(f"{loss}.scales.y.distr") == 3  # uPlot's log distribution
    assert page.evaluate("window.cairnCharts.find(c => c.key === 'acc').u.scales.y.distr") == 3
    # The y-axis labels of a log scale are numbers (they read "null null null"), some ticks unlabelled.
    page.wait_for_function(f"() => {loss}.axes[1]._values && {loss}.axes[1]._values.length > 0")
    labels = page.evaluate(f"{loss}.axes[1]._values")
    assert [v for v in labels if v] and all(re.fullmatch(r"[0-9.e+-]+[kMG]?", v) for v in labels if v), labels


def test_earlier_console_lines_load_on_request(web_server: ServerProcess, new_page: Any) -> None:
    project, s = seeded_run(web_server)
    run = f"{web_server.url}/api/v1/projects/local/{project}/runs/r1"
    s.post(f"{run}/streams/console", json={"offset": 3, "records": [
        {"time": 1_700_000_003, "stream": "stdout", "line": f"line {i}"} for i in range(5_100)
    ]}).raise_for_status()
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/r1#logs")
    page.wait_for_selector("[data-testid=console] .line >> nth=4999")
    assert page.locator("[data-testid=console] .line").count() == 5_000
    assert page.locator("[data-testid=console] .line").first.text_content() == "line 100"  # offset 103
    page.click("[data-testid=console-earlier]")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=console] .line').length === 5103")
    assert page.locator("[data-testid=console] .line").first.text_content() == "plain start"
    assert page.locator("[data-testid=console] .line").nth(3).text_content() == "line 0"
    assert page.locator("[data-testid=console-earlier]").is_hidden()


def test_media_in_the_summary_is_named_not_dumped(web_server: ServerProcess, new_page: Any) -> None:
    project, s = seeded_run(web_server)
    image = {"_type": "image", "path": "media/image/x/0-0-a.png", "width": 64, "height": 32, "sha256": "0" * 64}
    s.patch(f"{web_server.url}/api/v1/projects/local/{project}/runs/r1", json={"summary": {
        "samples": {"_type": "images", "items": [image, image]},
        "weights": {"_type": "histogram", "edges": [0, 1, 2, 3], "counts": [4, 5, 6]},
    }}).raise_for_status()
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/r1")
    summary = page.locator("[data-testid=summary]")
    summary.locator("th:text-is('samples')").wait_for()
    assert summary.locator("tr:has(th:text-is('samples')) td").text_content() == "[2 images]"
    assert summary.locator("tr:has(th:text-is('weights')) td").text_content() == "[histogram, 3 bins]"
    assert "sha256" not in (summary.text_content() or "")


def test_a_member_edits_notes_and_tags(web_server: ServerProcess, new_page: Any) -> None:
    project, s = seeded_run(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/r1")
    page.fill("[data-testid=notes-edit]", "lr too high, <i>retry</i>")
    page.fill("[data-testid=tags-edit]", "baseline, v2")
    page.click("[data-testid=notes-save]")
    page.wait_for_selector("[data-testid=notes-status]:text-is('Saved')")
    run = s.get(f"{web_server.url}/api/v1/projects/local/{project}/runs/r1").json()
    assert run["notes"] == "lr too high, <i>retry</i>"
    assert run["tags"] == ["baseline", "v2"]


def test_the_live_refresh_never_undoes_notes_typed_or_saved(web_server: ServerProcess, new_page: Any) -> None:
    project, s = seeded_run(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/r1")
    page.wait_for_function(f"() => document.querySelector('[data-testid=notes-edit]')?.value === {f'notes {XSS}'!r}")

    # The page's poll of the run (every 3 s) is read from the server when sent and answered when the test says.
    held: list[tuple[Any, Any]] = []

    def hold(route: Any) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        held.append((route, route.fetch()))

    page.route(f"**/api/v1/projects/local/{project}/runs/r1", hold)

    def next_poll() -> tuple[Any, Any]:
        seen = len(held)
        for _ in range(100):
            if len(held) > seen:
                return held[-1]
            page.wait_for_timeout(100)
        raise AssertionError("the page did not poll the run")

    # A refresh arriving while the user has typed and not saved leaves the fields alone.
    page.fill("[data-testid=notes-edit]", "typed before a refresh")
    route, response = next_poll()
    route.fulfill(response=response)
    # A poll read before the save and answered after it is older than the save: it changes nothing.
    route, stale = next_poll()
    assert page.input_value("[data-testid=notes-edit]") == "typed before a refresh"
    page.click("[data-testid=notes-save]")
    page.wait_for_selector("[data-testid=notes-status]:text-is('Saved')")
    route.fulfill(response=stale)
    route, response = next_poll()  # the stale refresh has been drawn
    assert page.input_value("[data-testid=notes-edit]") == "typed before a refresh"
    route.fulfill(response=response)
    page.unroute(f"**/api/v1/projects/local/{project}/runs/r1")

    # Saving again (the tags) sends the notes in the field, not the stale ones.
    page.fill("[data-testid=tags-edit]", "later")
    page.click("[data-testid=notes-save]")
    page.wait_for_selector("[data-testid=notes-status]:text-is('Saved')")
    run = s.get(f"{web_server.url}/api/v1/projects/local/{project}/runs/r1").json()
    assert (run["notes"], run["tags"]) == ("typed before a refresh", ["later"])


def test_anonymous_visitors_read_notes_of_a_public_run_but_cannot_edit(web_server: ServerProcess, new_page: Any) -> None:
    project, _ = seeded_run(web_server, visibility="public")
    page = new_page(web_server.url)
    page.goto(f"/local/{project}/runs/r1")
    page.wait_for_selector("[data-testid=notes]")
    assert page.text_content("[data-testid=notes]") == f"notes {XSS}"
    assert page.locator("[data-testid=notes-edit]").count() == 0
    assert page.locator("[data-testid=notes-save]").count() == 0
    page.click("[data-testid=tab-logs]")
    page.wait_for_selector("[data-testid=console] .line >> nth=2")


def test_a_private_run_page_is_not_found_for_an_outsider(web_server: ServerProcess, new_page: Any) -> None:
    project, _ = seeded_run(web_server)
    username = f"out{uuid.uuid4().hex[:6]}"
    code = (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user(username={username!r}, password='outsider-pw-123')"
    )
    subprocess.run(
        [server_python(), str(ROOT / "manage.py"), "shell", "-c", code],
        env=web_server.env, cwd=str(ROOT), check=True, capture_output=True,
    )
    page = new_page(web_server.url)
    sign_in(page, username, "outsider-pw-123")
    assert page.goto(f"/local/{project}/runs/r1").status == 404
    anonymous = new_page(web_server.url)
    assert anonymous.goto(f"/local/{project}/runs/r1").status == 404
