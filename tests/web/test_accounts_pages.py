"""Accounts in the browser: sign in, API keys, organisation members."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]


def test_a_user_signs_in_and_creates_an_api_key_shown_once(web_server: ServerProcess, new_page: Any) -> None:
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    assert page.url.endswith("/local/")
    page.click("[data-testid=nav-keys]")
    page.fill("[data-testid=create-key] input[name=name]", "browser test")
    page.click("[data-testid=create-key] button")
    key = page.text_content("[data-testid=new-key]").strip()
    assert key.startswith("cairn_")
    import requests

    viewer = requests.get(f"{web_server.url}/api/v1/viewer", headers={"Authorization": f"Bearer {key}"}).json()
    assert viewer["username"] == "admin"
    page.reload()
    assert page.locator("[data-testid=new-key]").count() == 0  # shown once


def test_the_org_switch_and_a_role_change_act_at_once(web_server: ServerProcess, new_page: Any) -> None:
    import requests

    slug = f"sw-{uuid.uuid4().hex[:8]}"
    r = requests.post(f"{web_server.url}/api/v1/orgs", json={"slug": slug},
                      headers={"Authorization": f"Bearer {web_server.api_key}"})
    assert r.status_code == 201, r.text
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.select_option("[data-testid=org-switch]", slug)
    page.wait_for_url(f"**/{slug}/")
    page.click("[data-testid=org-settings]")
    # The only admin cannot step down: the change is sent when picked, and refused.
    page.select_option("select[aria-label='Role of admin']", "member")
    assert page.text_content("[data-testid=error]") == "An organisation keeps at least one admin."
