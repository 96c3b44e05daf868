"""Reports in Chromium: write one (text and a chart from a run set), publish it, read it signed out."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in
from tests.web.test_runs_table import XSS, Api, project_create

pytestmark = [pytest.mark.server, pytest.mark.browser]


def seed(api: Api) -> None:
    for i in range(3):
        api("PUT", f"/runs/run{i}", json={"name": f"run-{i}", "config": {"lr": 0.1 / (i + 1)}})
        records = [{"step": s, "time": 1_700_000_000 + s, "data": {"loss": 1.0 / (s + 1) + i, "hidden_metric": 7.0}}
                   for s in range(200)]
        api("POST", f"/runs/run{i}/streams/history", json={"offset": 0, "records": records})
        api("POST", f"/runs/run{i}/finish", json={"exit_code": 0})


def wait_for(page: Any, script: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never true: {script}")


def test_write_publish_and_read_signed_out(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = project_create(web_server)  # private
    seed(api)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{slug}/")
    page.click("[data-testid=reports-link]")
    page.wait_for_url(f"**/local/{slug}/reports/")
    page.fill("[data-testid=report-new-title]", "Loss study")
    page.click("#report-new button[type=submit]")
    page.wait_for_url("**/edit")
    page.wait_for_selector("[data-testid=add-text]")

    page.click("[data-testid=add-text]")
    page.fill("[data-testid=text-block]", f"# Why loss falls\n\nThe **runs** agree: $e^{{-t}}$.\n\n{XSS}")
    page.click("[data-testid=add-chart]")
    chart = page.locator("[data-testid=block]").nth(1)
    chart.locator("[data-testid=panel-title]").fill("Training loss")
    chart.locator("[data-testid=runset-filter]").fill('state = "finished"')
    chart.locator("[data-testid=panel-keys]").fill("loss")
    # Reorder: the chart first, then back.
    chart.locator("[data-testid=block-up]").click()
    assert page.locator("[data-testid=block]").nth(0).locator("[data-testid=panel-keys]").count() == 1
    page.locator("[data-testid=block]").nth(0).locator("[data-testid=block-down]").click()
    page.wait_for_function("() => document.querySelector('[data-testid=save-status]').textContent === 'Saved'")

    page.select_option("[data-testid=publish-visibility]", "public")
    page.click("[data-testid=publish]")
    page.wait_for_function("() => document.querySelector('[data-testid=published-link]').textContent.includes('v1')")
    link = page.get_attribute("[data-testid=published-link]", "href")
    assert link and link.startswith("/r/")
    page.wait_for_selector("[data-testid=version]")
    assert page.locator("[data-testid=version]").count() == 1

    # A member comments on the published report.
    page.goto(link)
    page.fill("[data-testid=comment-text]", f"Nice **drop**. {XSS}")
    page.click("[data-testid=comment-send]")
    page.wait_for_selector("[data-testid=comment] strong")
    assert page.text_content("[data-testid=comment] strong") == "drop"
    assert page.evaluate("window.pwned") is None

    reader = new_page(web_server.url)  # signed out
    response = reader.goto(link)
    assert response.status == 200
    assert reader.text_content("[data-testid=report-title]") == "Loss study"
    assert reader.text_content(".report-text h1") == "Why loss falls"
    assert reader.locator("[data-testid=sign-in]").count() == 1
    drawn = wait_for(reader, """() => {
        const c = (window.cairnCharts || []).find(c => c.u && c.el.dataset.drawnAt);
        return c ? {series: c.u.series.length, points: c.u.data[0].length} : null;
    }""")
    assert drawn == {"series": 1 + 3 * 3, "points": 200}
    assert reader.text_content("figure[data-testid=report-panel] figcaption") == "Training loss"
    wait_for(reader, "() => !!document.querySelector('.report-text .katex')")
    assert reader.evaluate("window.pwned") is None
    assert reader.locator(".report-text img").count() == 0  # the raw <img> is text
    assert reader.locator("[data-testid=comments]").count() == 0  # comments are the organisation's
    # Nothing else of the private project, signed out.
    assert reader.goto(f"/local/{slug}/").status == 404
    assert reader.goto(f"/local/{slug}/runs/run0").status == 404
    assert reader.goto(f"{web_server.url}/api/v1/projects/local/{slug}/runs/").status == 404


def test_a_media_panel_in_the_editor_shows_its_images_signed_out(web_server: ServerProcess, new_page: Any) -> None:
    from tests.web.media_seed import media_rows_create

    slug, api = project_create(web_server)  # private
    for run in ("run0", "run1"):
        api("PUT", f"/runs/{run}", json={"name": f"name-{run}"})
        media_rows_create(web_server, slug, run, [
            {"key": "samples", "step": 3, "index": i, "kind": "image", "path": f"media/s/{run}-{i}.png",
             "caption": f"{run} sample {i} {XSS}", "status": "ready", "width": 64, "height": 48,
             "content_type": "image/png", "thumb": [200, 40 * i, 0]} for i in range(2)])
    key = api("POST", "/reports", json={"title": "Samples"})["id"]
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{slug}/reports/{key}/edit")
    page.click("[data-testid=add-chart]")
    page.select_option("[data-testid=panel-kind]", "media")
    page.select_option("[data-testid=runset-mode]", "runs")
    page.fill("[data-testid=runset-runs]", "run0, run1")
    page.fill("[data-testid=panel-media-key]", "samples")
    page.wait_for_function("() => document.querySelector('[data-testid=save-status]').textContent === 'Saved'")
    page.select_option("[data-testid=publish-visibility]", "public")
    page.click("[data-testid=publish]")
    page.wait_for_function("() => document.querySelector('[data-testid=published-link]').textContent.includes('v1')")
    link = page.get_attribute("[data-testid=published-link]", "href")

    reader = new_page(web_server.url)  # signed out
    assert reader.goto(link).status == 200
    wait_for(reader, "() => [...document.querySelectorAll('[data-testid=report-media-item] img')].every(i => i.complete && i.naturalWidth === 64)"
                     " && document.querySelectorAll('[data-testid=report-media-item] img').length === 4")
    captions = reader.locator("[data-testid=report-media-item] figcaption").all_text_contents()
    assert captions[0] == f"run0 sample 0 {XSS}"
    srcs = reader.eval_on_selector_all("[data-testid=report-media-item] img", "els => els.map(e => e.getAttribute('src'))")
    assert all(s.startswith(f"/api/v1/reports/{key}/panels/") for s in srcs)
    assert reader.evaluate("window.pwned") is None


def test_a_workspace_chart_is_copied_into_a_report(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = project_create(web_server)
    seed(api)
    key = api("POST", "/reports", json={"title": "From the workspace"})["id"]
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{slug}/")
    panel = page.locator("[data-testid=panel][data-key=loss]")
    panel.locator("[data-testid=panel-menu]").click()
    panel.locator("[data-testid=panel-log]").check()
    panel.locator("[data-testid=panel-x]").select_option("relative")
    panel.locator("[data-testid=panel-add-report]").click()
    panel.locator("[data-testid=add-report-item]", has_text="From the workspace").click()
    panel.locator("[data-testid=add-report-done] a").wait_for()

    draft = api.s.get(f"{web_server.url}/api/v1/reports/{key}").json()["draft"]
    [block] = draft["blocks"]
    p = block["panel"]
    assert (p["kind"], p["keys"], p["log"], p["x"], p["smoothing"]) == ("line", ["loss"], True, "relative", 0.0)
    assert sorted(p["runset"]["runs"]) == ["run0", "run1", "run2"]
    # The copy draws in the report (its preview), against relative time.
    page.goto(f"/local/{slug}/reports/{key}/?draft=1")
    drawn = wait_for(page, """() => {
        const c = (window.cairnCharts || []).find(c => c.u && c.el.dataset.drawnAt);
        return c ? {points: c.u.data[0].length, x: c.chart.opts.x} : null;
    }""")
    assert drawn == {"points": 200, "x": "relative"}
