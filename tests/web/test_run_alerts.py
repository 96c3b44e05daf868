"""A run's alerts on its page: newest first, the level as a badge, repeats counted, text as text."""

from __future__ import annotations

from typing import Any

import pytest

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in
from tests.web.test_run_page import XSS, seeded_run

pytestmark = [pytest.mark.server, pytest.mark.browser]


def test_the_overview_lists_the_runs_alerts_newest_first(web_server: ServerProcess, new_page: Any) -> None:
    project, s = seeded_run(web_server)
    alerts = f"{web_server.url}/api/v1/projects/local/{project}/runs/r1/alerts"
    s.post(alerts, json={"id": "a1", "title": "slow epoch", "text": "epoch 3 took 2 h", "level": "WARN",
                         "created_at": 1_700_000_000}).raise_for_status()
    s.post(alerts, json={"id": "a2", "title": f"NaN {XSS}", "text": f"at step 10\n{XSS}", "level": "ERROR",
                         "count": 4, "created_at": 1_700_000_100}).raise_for_status()
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/r1")
    page.wait_for_selector("[data-testid=alert] >> nth=1")
    box = page.locator("[data-testid=overview-section] [data-testid=alerts]")
    assert box.locator("[data-testid=alert-title]").all_text_contents() == [f"NaN {XSS}", "slow epoch"]
    assert box.locator("[data-testid=alert-level]").all_text_contents() == ["ERROR", "WARN"]
    assert "ERROR" in (box.locator("[data-testid=alert-level]").first.get_attribute("class") or "")
    assert box.locator("[data-testid=alert-count]").all_text_contents() == ["×4"]
    assert f"at step 10\n{XSS}" in box.text_content()
    assert page.evaluate("window.__xss") is None


def test_a_run_without_alerts_shows_no_alerts_box(web_server: ServerProcess, new_page: Any) -> None:
    project, _ = seeded_run(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    with page.expect_response(lambda r: r.url.endswith("/runs/r1/alerts")) as read:
        page.goto(f"/local/{project}/runs/r1")
    assert read.value.json() == {"results": []}
    page.wait_for_selector("[data-testid=overview] dt")
    assert page.locator("[data-testid=alerts]").count() == 1
    assert page.locator("[data-testid=alerts]").is_hidden()
