"""Browser tests: Playwright driving Debian's Chromium against a real server.

Under CI=true a missing browser fails the run. A failing test leaves a
screenshot of the page in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ci import unavailable
from tests.serverproc import ServerProcess

ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return os.environ.get("CAIRN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        unavailable("Chromium is not installed",
                    ci="Chromium is missing (apt-get install chromium); browser tests cannot be skipped in CI")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        for page in getattr(item, "_pages", []):
            try:
                ARTIFACTS.mkdir(exist_ok=True)
                name = re.sub(r"[^\w.-]+", "_", item.nodeid)
                page.screenshot(path=str(ARTIFACTS / f"{name}-{id(page)}.png"), full_page=True)
            except Exception:  # the page may be gone; the failure itself matters more
                pass
    return report


def console_error(message: Any) -> bool:
    """An error in the browser's console, other than a page answered 403 or 404 as a test asked.

    A script or stylesheet that fails to load is an error.
    """
    if message.type != "error":
        return False
    failed_load = message.text.startswith("Failed to load resource")
    return not failed_load or "/static/" in (message.location or {}).get("url", "")


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Opens pages in fresh browser contexts (each its own cookies)."""
    contexts: list[Any] = []
    pages: list[Any] = []
    errors: list[str] = []
    request.node._pages = pages

    def make(base_url: str) -> Any:
        context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text} {m.location}") if console_error(m) else None)
        pages.append(page)
        return page

    yield make
    for c in contexts:
        c.close()
    assert not errors, "errors in the browser's console:\n" + "\n".join(errors)


def sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture(scope="session")
def web_server(cairn_server: ServerProcess) -> ServerProcess:
    """The shared real server; its admin password is in its data folder."""
    cairn_server.admin_password = (cairn_server.data_dir / "admin-password").read_text().strip()  # type: ignore[attr-defined]
    return cairn_server
