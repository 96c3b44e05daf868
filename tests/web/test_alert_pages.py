"""Alerts in the browser: a rule made on the project's Alerts page fires, the bell counts it, and reading clears it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in
from tests.web.test_run_page import XSS, seeded_run

pytestmark = [pytest.mark.server, pytest.mark.browser]


def test_a_rule_made_on_the_page_rings_the_bell_until_read(web_server: ServerProcess, new_page: Any) -> None:
    project, s = seeded_run(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/")
    page.click("[data-testid=alerts-link]")
    form = page.locator("[data-testid=create-rule]")
    form.locator("input[name=name]").fill(f"agent {XSS}")
    form.locator("select[name=kind]").select_option("agent_alert")
    form.locator("button").click()
    page.wait_for_selector("[data-testid=rule]")
    assert f"agent {XSS}" in page.locator("[data-testid=rule]").text_content()
    assert page.locator("[data-testid=nav-unread]").count() == 0
    alerts = f"{web_server.url}/api/v1/projects/local/{project}/runs/r1/alerts"
    for n in range(2):
        s.post(alerts, json={"id": f"b{n}", "title": f"alert {n} {XSS}", "level": "WARN"}).raise_for_status()
    deadline = time.monotonic() + 10
    while True:  # delivered by the server after the alert's transaction commits
        page.goto(f"/local/{project}/alerts/")
        if page.locator("[data-testid=nav-unread]").count() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert page.locator("[data-testid=nav-unread]").text_content() == "2"
    page.click("[data-testid=nav-bell]")
    rows = page.locator("[data-testid=notification][data-read=no]")
    assert rows.count() == 2 and f"alert 1 {XSS}" in rows.first.text_content()
    rows.first.locator("button").click()
    assert page.locator("[data-testid=nav-unread]").text_content() == "1"
    page.click("[data-testid=read-all]")
    assert page.locator("[data-testid=nav-unread]").count() == 0
    assert page.evaluate("window.__xss") is None
