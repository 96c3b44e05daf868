"""The run page in tabs: deep links, the overview's state and dates, rename, media files apart, why no system samples."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]

TABS = ["overview", "charts", "system", "logs", "files", "artifacts", "code"]


def _project(server: ServerProcess) -> tuple[str, requests.Session]:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    slug = f"tabs-{uuid.uuid4().hex[:6]}"
    assert s.post(f"{server.url}/api/v1/orgs/local/projects", json={"slug": slug}).ok
    return slug, s


def _put_file(s: requests.Session, run: str, path: str, body: bytes) -> None:
    s.put(f"{run}/files/{path}", data=body, headers={"X-Cairn-Sha256": hashlib.sha256(body).hexdigest()}).raise_for_status()


def _open(server: ServerProcess, new_page: Any, path: str, width: int = 1400) -> Any:
    page = new_page(server.url)
    sign_in(page, "admin", server.admin_password)  # type: ignore[attr-defined]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(path)
    page.wait_for_selector("[data-testid=overview-state]", state="attached")
    return page


def _shown_tab(page: Any) -> list[str]:
    return [t for t in TABS if page.is_visible(f"[data-testid=panel-{t}]")]


def test_tabs_are_deep_linkable_and_keyboard_reachable(web_server: ServerProcess, new_page: Any) -> None:
    slug, s = _project(web_server)
    s.put(f"{web_server.url}/api/v1/projects/local/{slug}/runs/r1", json={"name": "tabbed"}).raise_for_status()
    page = _open(web_server, new_page, f"/local/{slug}/runs/r1")
    assert _shown_tab(page) == ["overview"]
    assert page.get_attribute("[data-testid=tab-overview]", "aria-selected") == "true"
    page.click("[data-testid=tab-logs]")
    assert _shown_tab(page) == ["logs"]
    assert page.evaluate("location.hash") == "#logs"
    page.reload()
    page.wait_for_selector("[data-testid=panel-logs]:visible")
    assert _shown_tab(page) == ["logs"]
    page.focus("[data-testid=tab-logs]")
    page.keyboard.press("ArrowRight")
    assert _shown_tab(page) == ["files"]
    assert page.evaluate("document.activeElement.dataset.tab") == "files"
    page.goto(f"/local/{slug}/runs/r1?tab=system")
    page.wait_for_selector("[data-testid=panel-system]:visible")
    assert _shown_tab(page) == ["system"]


def test_the_overview_says_the_state_duration_and_dates_in_one_format(web_server: ServerProcess, new_page: Any) -> None:
    slug, s = _project(web_server)
    api = f"{web_server.url}/api/v1/projects/local/{slug}/runs"
    s.put(f"{api}/live", json={"name": "live one", "system": {"host": "gpu7", "program": "train.py"}}).raise_for_status()
    s.put(f"{api}/bad", json={"name": "bad one"}).raise_for_status()
    s.post(f"{api}/bad/finish", json={"exit_code": 3}).raise_for_status()

    page = _open(web_server, new_page, f"/local/{slug}/runs/live")
    overview = page.text_content("[data-testid=overview]")
    assert page.text_content("[data-testid=overview-state]") == "running"
    assert "Finished" not in overview and "Ended" not in overview and "Running for" in overview
    assert "gpu7" in overview and "train.py" in overview
    started = page.locator("[data-testid=overview] time").first
    assert started.text_content() in ("just now", "1m ago")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC([+-]\d+(:\d\d)?)?", started.get_attribute("title"))
    # The id once: the name is the title, the id beside it.
    assert page.text_content("[data-testid=run-title]") == "live one"
    assert page.text_content(".run-header").count("live") == 2  # "live one", and the id "live"

    page.goto(f"/local/{slug}/runs/bad")
    page.wait_for_selector("[data-testid=overview-state]")
    assert page.text_content("[data-testid=overview-state]") == "failed (exit code 3)"
    assert "Ended" in page.text_content("[data-testid=overview]")


def test_a_member_renames_a_run(web_server: ServerProcess, new_page: Any) -> None:
    slug, s = _project(web_server)
    api = f"{web_server.url}/api/v1/projects/local/{slug}/runs/r1"
    s.put(api, json={}).raise_for_status()
    generated = s.get(api).json()["name"]
    assert re.fullmatch(r"[a-z]+-[a-z]+-1", generated)  # no name given: a readable one, not the id
    page = _open(web_server, new_page, f"/local/{slug}/runs/r1")
    assert page.text_content("[data-testid=run-title]") == generated
    assert not page.is_visible("[data-testid=rename-input]")  # the form shows only once asked for
    page.click("[data-testid=rename]")
    assert page.input_value("[data-testid=rename-input]") == generated
    page.fill("[data-testid=rename-input]", "resnet50 baseline")
    page.click("[data-testid=rename-save]")
    page.wait_for_function("() => document.querySelector('[data-testid=run-title]').textContent === 'resnet50 baseline'")
    assert s.get(api).json()["name"] == "resnet50 baseline"


def test_media_files_are_listed_apart_and_folded(web_server: ServerProcess, new_page: Any) -> None:
    slug, s = _project(web_server)
    run = f"{web_server.url}/api/v1/projects/local/{slug}/runs/r1"
    s.put(run, json={"name": "with media"}).raise_for_status()
    _put_file(s, run, "model.pt", b"weights")
    for i in range(3):
        _put_file(s, run, f"media/images/sample_{i}.png", b"\x89PNG" + bytes([i]))
    page = _open(web_server, new_page, f"/local/{slug}/runs/r1#files")
    page.wait_for_selector("[data-testid=files] button:text-is('model.pt')")
    assert page.locator("[data-testid=files] button.link").all_text_contents() == ["model.pt"]
    assert page.text_content("[data-testid=media-files-summary]") == "Media files (3), drawn in the Charts tab"
    assert not page.is_visible("[data-testid=media-files]")
    page.click("[data-testid=media-files-summary]")
    assert page.locator("[data-testid=media-files] button.link").count() == 3


def test_a_short_runs_system_tab_says_why_it_has_no_samples(web_server: ServerProcess, new_page: Any) -> None:
    slug, s = _project(web_server)
    run = f"{web_server.url}/api/v1/projects/local/{slug}/runs/quick"
    s.put(run, json={"name": "quick"}).raise_for_status()
    s.post(f"{run}/finish", json={"exit_code": 0}).raise_for_status()
    page = _open(web_server, new_page, f"/local/{slug}/runs/quick?tab=system")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=system-section] p.muted').textContent.includes('before the first sample')")
    note = page.text_content("[data-testid=system-section] p.muted")
    assert note.startswith("No system metrics: the run ended after 0s, before the first sample")


def test_the_run_page_fits_a_phone(web_server: ServerProcess, new_page: Any) -> None:
    slug, s = _project(web_server)
    run = f"{web_server.url}/api/v1/projects/local/{slug}/runs/r1"
    s.put(run, json={"name": "x" * 120, "config": {"a_long_key_" * 8: "v" * 200},
                     "system": {"program": "train.py", "args": ["--data", "/very/long/path/" * 10]}}).raise_for_status()
    page = _open(web_server, new_page, f"/local/{slug}/runs/r1", width=390)
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392)
        .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + (e.dataset.testid || '') + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    for tab in TABS[1:]:
        page.click(f"[data-testid=tab-{tab}]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, tab
