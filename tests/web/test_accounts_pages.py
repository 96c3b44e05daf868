"""Accounts in the browser: sign in, API keys, organisation members."""

from __future__ import annotations

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
