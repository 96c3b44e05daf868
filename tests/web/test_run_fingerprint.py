"""The run page's fingerprint in Chromium: duplicates flagged, and which parts differ from another run."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]

XSS = '<img src=x onerror="window.__xss=1">'


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def seeded(server: ServerProcess) -> str:
    """Three runs: "base" and "again" identical; "tuned" with another lr and torch."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    project = f"fp-{uuid.uuid4().hex[:6]}"
    api = f"{server.url}/api/v1/projects/local/{project}"
    assert s.post(f"{server.url}/api/v1/orgs/local/projects", json={"slug": project}).ok

    def run(run_id: str, lr: float, torch: str) -> None:
        s.put(f"{api}/runs/{run_id}", json={"name": f"{run_id} run", "config": {"lr": lr, XSS: 1}}).raise_for_status()
        details = {"code": {"commit": "abc123", "diff": ""}, "config": {"keys": {"lr": h(str(lr))[:16], XSS: "1"}},
                   "env": {"python": "cpython 3.11.9", "packages": {"torch": torch, "numpy": "1.26.4"}}}
        body = {"code": h("code"), "config": h(f"config {lr}"), "env": h(f"env {torch}"), "details": details}
        s.put(f"{api}/runs/{run_id}/fingerprint", json=body).raise_for_status()
        s.post(f"{api}/runs/{run_id}/finish", json={"state": "finished", "exit_code": 0}).raise_for_status()

    run("base", 0.1, "2.3.0")
    run("again", 0.1, "2.3.0")
    run("tuned", 0.01, "2.4.0")
    return project


def test_the_run_page_says_which_parts_differ(web_server: ServerProcess, new_page: Any) -> None:
    project = seeded(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/base")
    page.wait_for_selector("[data-testid=fingerprint-duplicates]")
    assert "again run (finished)" in page.locator("[data-testid=fingerprint-duplicates]").text_content()
    # The duplicate is offered for comparison: every part the same.
    assert page.locator("[data-testid=fingerprint-other]").input_value() == "again"
    page.click("[data-testid=fingerprint-section] button[type=submit]")
    page.wait_for_selector("[data-testid=fingerprint-compare] li[data-part=env]")
    assert page.locator("[data-testid=fingerprint-compare] li strong").all_text_contents() == [
        "code: same", "config: same", "data: same", "environment: same"]

    page.fill("[data-testid=fingerprint-other]", "tuned")
    page.click("[data-testid=fingerprint-section] button[type=submit]")
    page.wait_for_selector("[data-testid=fingerprint-compare] li[data-part=config].changed")
    lines = page.locator("[data-testid=fingerprint-compare] li").all_text_contents()
    assert lines[0] == "code: same" and lines[2] == "data: same"
    assert lines[1] == "config: differs (lr: 0.1 → 0.01)"
    assert lines[3] == "environment: differs (torch 2.3.0 → 2.4.0)"
    assert page.evaluate("window.__xss") is None

    page.fill("[data-testid=fingerprint-other]", "nope")
    page.click("[data-testid=fingerprint-section] button[type=submit]")
    page.wait_for_selector("[data-testid=fingerprint-compare] li.error")
    assert page.locator("[data-testid=fingerprint-compare] li.error").text_content() == "No fingerprint for run nope."

    page.goto(f"/local/{project}/runs/tuned")  # no duplicate: nothing stands in its place
    page.wait_for_selector("[data-testid=fingerprint-whole]")
    assert page.locator("[data-testid=fingerprint-duplicates]").count() == 0
    assert "null" not in page.locator("[data-testid=fingerprint-section]").text_content()


def test_the_runs_table_flags_duplicates_and_groups_by_fingerprint(web_server: ServerProcess, new_page: Any) -> None:
    project = seeded(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/")
    page.wait_for_selector("tr[data-run=tuned]")
    flags = page.locator("[data-testid=duplicate-flag]")
    assert sorted(flags.evaluate_all("fs => fs.map(f => f.closest('tr').dataset.run)")) == ["again", "base"]
    assert page.locator("tr[data-run=again] [data-testid=duplicate-flag]").get_attribute("title") == (
        "Same experiment fingerprint as finished run base")
    page.select_option("[data-testid=group-by]", "fingerprint")
    page.wait_for_selector("tr.rt-group")
    counts = page.locator("tr.rt-group [data-testid=group-count]").all_text_contents()
    assert counts == ["2", "1"]
    page.locator("tr.rt-group").first.click()  # opened: the two identical runs
    page.wait_for_selector("tr.rt-inner[data-run=again]")
    assert sorted(page.locator("tr.rt-inner").evaluate_all("rs => rs.map(r => r.dataset.run)")) == ["again", "base"]
    page.locator("tr[data-run=again] [data-testid=duplicate-flag]").click()
    page.wait_for_url(f"**/local/{project}/runs/base")
    assert page.evaluate("window.__xss") is None
