"""axe-core (npm, a dev dependency) over every page in Chromium, signed in and
out: no serious or critical violation. The engine is read from node_modules
and run in the page by the test; the server never serves it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.ci import unavailable
from tests.serverproc import ROOT, ServerProcess
from tests.web.conftest import sign_in
from tests.web.demo_seed import Demo, demo_pages, demo_seed
from tests.web.test_runs_table import project_create

pytestmark = [pytest.mark.server, pytest.mark.browser]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# The pages that answer an error on purpose; every other one must answer 200.
ERROR_PAGES = {"not-found": 404, "join-invalid": 410, "private-project": 404, "sign-up": 403}


@pytest.fixture(scope="module")
def demo(web_server: ServerProcess) -> Iterator[Demo]:
    yield demo_seed(web_server, steps=100)


def axe_violations(page: Any, source: str) -> list[str]:
    page.wait_for_load_state("networkidle")
    page.evaluate(source)
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                         nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
    }""")
    return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in found if v["impact"] in BLOCKING]


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_no_page_has_a_serious_accessibility_violation(
    web_server: ServerProcess, demo: Demo, new_page: Any, signed_in: bool
) -> None:
    if not AXE.exists():
        unavailable("axe-core is not installed: run `make` (npm ci installs the dev dependencies)")
    source = AXE.read_text()
    page = new_page(web_server.url)
    if signed_in:
        sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    problems = []
    for name, path in demo_pages(demo, signed_in=signed_in).items():
        status = page.goto(path).status
        if status != ERROR_PAGES.get(name, 200):
            problems.append(f"{name} ({path}): answered {status}")
        problems += [f"{name} ({path}): {v}" for v in axe_violations(page, source)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_no_page_scrolls_sideways_on_a_phone(web_server: ServerProcess, demo: Demo, browser: Any, signed_in: bool) -> None:
    context = browser.new_context(base_url=web_server.url, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        if signed_in:
            sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
        wide = []
        for name, path in demo_pages(demo, signed_in=signed_in).items():
            page.goto(path)
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                wide.append(f"{name} ({path}): {width} px wide")
        assert not wide, "\n".join(wide)
    finally:
        context.close()


def test_the_styled_403_and_500_pages_have_no_serious_accessibility_violation(
    web_server: ServerProcess, new_page: Any
) -> None:
    if not AXE.exists():
        unavailable("axe-core is not installed: run `make` (npm ci installs the dev dependencies)")
    source = AXE.read_text()
    # 403: a member (not an admin) opening a project's settings, as in test_navigation.
    name = f"member{uuid.uuid4().hex[:6]}"
    web_server.manage("cairn_user", name, "--password", f"granite {name} river", "--org", "local")
    slug, _ = project_create(web_server)
    page = new_page(web_server.url)
    sign_in(page, name, f"granite {name} river")
    assert page.goto(f"/local/{slug}/settings/").status == 403
    assert page.get_attribute("[data-testid=error-page]", "data-status") == "403"
    problems = [f"403: {v}" for v in axe_violations(page, source)]
    # 500: no route of a working server fails on purpose, so the page is what Django's
    # handler500 (webapp.errors.server_error) renders, served at the server's address
    # (its stylesheet and scripts load from the server).
    from django.test import RequestFactory

    from webapp import errors

    html = errors.server_error(RequestFactory().get("/local/broken/")).content
    page.route("**/local/broken/", lambda route: route.fulfill(status=500, body=html, content_type="text/html; charset=utf-8"))
    assert page.goto("/local/broken/").status == 500
    assert page.get_attribute("[data-testid=error-page]", "data-status") == "500"
    problems += [f"500: {v}" for v in axe_violations(page, source)]
    assert not problems, "\n".join(problems)
