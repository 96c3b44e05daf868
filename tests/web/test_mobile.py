"""At a phone's width (390 px) every page fits: no sideways scroll of the page, a top bar of at most two lines."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]


@pytest.fixture(scope="module")
def seeded(web_server: ServerProcess) -> str:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {web_server.api_key}"
    api = f"{web_server.url}/api/v1"
    slug = f"phone-{uuid.uuid4().hex[:6]}"
    assert s.post(f"{api}/orgs/local/projects", json={"slug": slug}).ok
    for i in range(3):
        run = f"{api}/projects/local/{slug}/runs/r{i}"
        s.put(run, json={"name": f"run-{i}", "config": {"lr": 0.1 * (i + 1), "model": {"depth": 50}},
                         "summary": {"val/acc": 0.5 + i / 10}}).raise_for_status()
        s.post(f"{run}/streams/history", json={"offset": 0, "records": [
            {"step": k, "time": 1_700_000_000 + k, "data": {"train/loss": 1 / (k + 1)}} for k in range(20)]}).raise_for_status()
        s.post(f"{run}/finish", json={"exit_code": 0}).raise_for_status()
    return slug


PAGES = ["/local/", "/local/{p}/", "/local/{p}/runs/r0", "/local/{p}/compare/?runs=r0,r1", "/local/{p}/reports/",
         "/local/{p}/settings/", "/local/-/members/", "/settings/keys/", "/search/?q=run", "/benchmarks/", "/nowhere/at/all/"]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_fits_a_phone(web_server: ServerProcess, new_page: Any, seeded: str, path: str) -> None:
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(path.format(p=seeded))
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # the scripts' first drawing
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 391 && !e.closest('header') && !e.closest('.rt-scroll'))
        .slice(0, 6).map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    assert page.evaluate("document.querySelector('header.topbar').getBoundingClientRect().height") <= 90


def test_the_sign_in_page_fits_a_phone_signed_out(web_server: ServerProcess, new_page: Any) -> None:
    page = new_page(web_server.url)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
