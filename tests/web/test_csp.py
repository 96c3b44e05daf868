"""Content-Security-Policy: every page says where scripts may come from, and
the pages, the API docs and the admin run under it with no refusal in the
console (the new_page fixture fails a test on any console error, CSP refusals
included, so every browser test checks this too)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]


def _policy(response: requests.Response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


def test_every_page_forbids_inline_and_foreign_scripts(web_server: ServerProcess) -> None:
    for path in ("/login/", "/api/v1/docs/", "/api/v1/health", "/benchmarks/"):
        policy = _policy(requests.get(web_server.url + path, timeout=30))
        assert policy.get("script-src") == ["'self'"], (path, policy)
        assert policy.get("object-src") == ["'none'"], (path, policy)
        assert policy.get("frame-ancestors") == ["'self'"], (path, policy)


def test_the_api_docs_and_the_admin_work_under_the_policy(web_server: ServerProcess, new_page: Any) -> None:
    page = new_page(web_server.url)
    page.goto("/api/v1/docs/")
    # Swagger UI drew the operations. It draws a large schema as the reader
    # scrolls (only what is in view), so scroll down to the last operation.
    page.wait_for_selector(".opblock", timeout=30_000)
    page.mouse.move(700, 450)
    deadline = time.monotonic() + 60
    while page.locator(".opblock-summary-path", has_text="/api/v1/viewer").count() == 0:
        assert time.monotonic() < deadline, page.locator(".opblock-summary-path").all_inner_texts()
        page.mouse.wheel(0, 3000)
        time.sleep(0.3)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto("/admin/")
    page.wait_for_selector("#site-name")


def test_an_injected_inline_script_does_not_run(web_server: ServerProcess, browser: Any) -> None:
    # Its own context: the refusal this test provokes is the point, not a page error.
    context = browser.new_context(base_url=web_server.url)
    try:
        page = context.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto("/login/")
        # As if markup had slipped through a template: the browser refuses to run it.
        page.evaluate("""() => {
            const s = document.createElement('script');
            s.textContent = 'window.injected = true';
            document.body.appendChild(s);
            const img = document.createElement('img');
            img.setAttribute('onerror', 'window.injected = true');
            img.src = 'data:,';
            document.body.appendChild(img);
        }""")
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.injected === undefined")
        assert refused, "the browser reported no CSP refusal"
    finally:
        context.close()
