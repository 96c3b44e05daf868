"""The leaderboard in Chromium, signed out: ranked entries, and an entry's shared run view."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import Error as PlaywrightError

from tests.serverproc import ServerProcess

pytestmark = [pytest.mark.server, pytest.mark.browser]


def seeded_benchmark(server: ServerProcess) -> tuple[str, str]:
    """A lower-is-better benchmark with three runs of a private project entered."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    api = f"{server.url}/api/v1"
    tag = uuid.uuid4().hex[:6]
    project, slug = f"lb-{tag}", f"bench-{tag}"
    assert s.post(f"{api}/orgs/local/projects", json={"slug": project, "visibility": "private"}).ok
    r = s.post(f"{api}/benchmarks/", json={
        "org": "local", "slug": slug, "name": "Tiny <b>MNIST</b>", "metric_key": "loss", "direction": "lower",
        "config_columns": ["lr"], "description": "Lowest **loss** wins. <script>window.__xss=1</script>",
    })
    assert r.status_code == 201, r.text
    for i, loss in enumerate([0.3, 0.1, 0.2]):
        run = f"{api}/projects/local/{project}/runs/r{i}"
        s.put(run, json={"name": f"run <i>{i}</i>", "config": {"lr": 10.0 ** -i},
                         "system": {"git": {"commit": f"c0ffee{i}", "dirty": False}}}).raise_for_status()
        s.post(f"{run}/streams/history", json={"offset": 0, "records": [
            {"step": step, "time": 1_700_000_000 + step, "data": {"loss": loss + 1.0 / (step + 1)}} for step in range(50)
        ]}).raise_for_status()
        s.patch(run, json={"summary": {"loss": loss}}).raise_for_status()
        s.post(f"{run}/finish", json={"exit_code": 0}).raise_for_status()
        assert s.post(f"{api}/benchmarks/local/{slug}/submissions/", json={"run": f"local/{project}/r{i}"}).status_code == 201
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if requests.get(f"{api}/benchmarks/local/{slug}/leaderboard").json()["count"] == 3:
            break
        time.sleep(0.1)
    return project, slug


def test_a_signed_out_visitor_sees_the_ranking_and_opens_an_entry(web_server: ServerProcess, new_page: Any) -> None:
    project, slug = seeded_benchmark(web_server)
    page = new_page(web_server.url)
    page.goto(f"/benchmarks/local/{slug}/")
    assert page.get_by_test_id("benchmark-name").text_content() == "Tiny <b>MNIST</b>"
    rows = page.locator("[data-testid=entry]")
    assert rows.count() == 3
    assert [rows.nth(i).locator("[data-testid=rank]").text_content() for i in range(3)] == ["1", "2", "3"]
    assert [rows.nth(i).locator("[data-testid=score]").text_content() for i in range(3)] == ["0.1", "0.2", "0.3"]
    assert page.get_by_test_id("description").locator("strong").text_content() == "loss"
    page.wait_for_selector("#best-chart canvas")
    assert page.evaluate("window.__xss") is None
    assert page.get_by_test_id("submit-card").count() == 0  # signed out: nothing to submit with

    page.locator("[data-testid=entry-link]").first.click()
    page.wait_for_selector("[data-testid=shared-run]")
    assert page.get_by_test_id("entry-name").text_content() == "run <i>1</i>"
    assert page.get_by_test_id("entry-score").text_content() == "0.1"
    assert page.get_by_test_id("entry-commit").text_content() == "c0ffee1"
    page.wait_for_selector("[data-testid=entry-charts] [data-key=loss] canvas")
    drawn = page.evaluate("window.cairnCharts.map((c) => [c.key, c.u ? c.u.data[0].length : 0])")
    assert drawn == [["loss", 50]]

    # The project itself stays private.
    assert page.goto(f"/local/{project}/").status == 404
    assert page.goto(f"/local/{project}/runs/r1").status == 404


def test_a_member_submits_from_the_page_and_an_owner_admin_hides_the_entry(web_server: ServerProcess, new_page: Any) -> None:
    from tests.web.conftest import sign_in

    project, slug = seeded_benchmark(web_server)
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {web_server.api_key}"
    run = f"{web_server.url}/api/v1/projects/local/{project}/runs/best"
    s.put(run, json={"summary": {"loss": 0.05}}).raise_for_status()
    s.post(f"{run}/finish", json={"exit_code": 0}).raise_for_status()

    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/benchmarks/local/{slug}/")
    page.fill("#submit-form input[name=run]", f"local/{project}/nope")
    page.click("#submit-form button")
    page.wait_for_selector("#submit-error:not(:empty)")  # an unknown run: the API's reason, shown
    page.fill("#submit-form input[name=run]", f"local/{project}/best")
    page.fill("#submit-form input[name=name]", "the best")
    page.click("#submit-form button")
    page.wait_for_load_state()
    deadline = time.monotonic() + 30
    while page.locator("[data-testid=entry]").count() < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            page.reload()
        except PlaywrightError:  # a navigation of the page's own cut the reload short: try again
            page.wait_for_load_state()
    first = page.locator("[data-testid=entry]").first
    assert first.locator("[data-testid=entry-link]").text_content() == "the best"

    page.on("dialog", lambda d: d.accept("a duplicate"))
    first.locator("button[data-action=hide]").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=entry]').length === 3")
    mine = page.locator("[data-testid=my-submission]", has_text="the best")
    assert mine.locator("[data-testid=reason]").text_content() == "a duplicate"


def test_my_entries_show_rounded_scores_and_no_withdraw_once_refused(web_server: ServerProcess, new_page: Any) -> None:
    from tests.web.conftest import sign_in

    project, slug = seeded_benchmark(web_server)
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {web_server.api_key}"
    api = f"{web_server.url}/api/v1"
    precise = f"{api}/projects/local/{project}/runs/precise"
    s.put(precise, json={"summary": {"loss": 0.12345678901234567}}).raise_for_status()
    s.post(f"{precise}/finish", json={"exit_code": 0}).raise_for_status()
    empty = f"{api}/projects/local/{project}/runs/empty"  # no loss in its summary: refused
    s.put(empty, json={"summary": {"acc": 1.0}}).raise_for_status()
    s.post(f"{empty}/finish", json={"exit_code": 0}).raise_for_status()
    for run_id in ("precise", "empty"):
        r = s.post(f"{api}/benchmarks/local/{slug}/submissions/", json={"run": f"local/{project}/{run_id}", "name": run_id})
        assert r.status_code == 201, r.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        statuses = {x["name"]: x["status"] for x in s.get(f"{api}/benchmarks/local/{slug}/submissions/").json()["results"]}
        if statuses.get("precise") == "accepted" and statuses.get("empty") == "refused":
            break
        time.sleep(0.2)
    assert statuses == {**statuses, "precise": "accepted", "empty": "refused"}
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/benchmarks/local/{slug}/")
    row = page.locator("[data-testid=my-submission]", has_text="precise")
    assert row.locator("[data-testid=my-score]").text_content() == "0.123457"
    assert row.locator("button[data-action=withdraw]").count() == 1
    refused = page.locator("[data-testid=my-submission]", has_text="empty")
    assert "refused" in refused.text_content()
    assert refused.locator("button[data-action=withdraw]").count() == 0  # nothing left to withdraw
    page.wait_for_selector("[data-testid=score]")
    assert all(len(t) <= 8 for t in page.locator("[data-testid=score]").all_text_contents())
