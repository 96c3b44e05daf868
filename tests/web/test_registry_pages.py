"""The model registry in the browser: from the organisation's page to a registered model, an alias moved by an admin."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in
from tests.web.test_artifact_pages import seeded

pytestmark = [pytest.mark.server, pytest.mark.browser]


def registered(server: ServerProcess) -> tuple[str, str]:
    """A registered model: v0 the `model` of one project (`production`), v1 of another (`latest`)."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    name = f"clf-{uuid.uuid4().hex[:6]}"
    first, second = seeded(server), seeded(server)
    url = f"{server.url}/api/v1/orgs/local/registry/{name}"
    s.post(url, json={"artifact": f"local/{first}/model:v0", "aliases": ["production"]}).raise_for_status()
    s.post(url, json={"artifact": f"local/{second}/model:v0"}).raise_for_status()
    return name, second


def test_an_admin_moves_an_alias_on_the_page(web_server: ServerProcess, new_page: Any) -> None:
    name, second = registered(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto("/local/")
    page.locator("[data-testid=org-registry]").click()
    page.locator("[data-testid=registered-models] a", has_text=name).click()
    page.wait_for_selector("[data-testid=registry-versions]")
    assert page.locator("[data-testid=aliases-v0] .tag").all_text_contents() == ["production"]
    assert page.locator("[data-testid=aliases-v1] .tag").all_text_contents() == ["latest"]
    # Each version names its source: the artifact version, its project and the run that logged it.
    row = page.locator("[data-version=v1] td")
    assert row.nth(2).text_content() == "model:v0" and row.nth(3).text_content() == second
    assert row.nth(4).text_content() == "train run"

    form = page.locator("[data-testid=move-alias]")
    form.locator("input[name=alias]").fill("production")
    form.locator("select[name=version]").select_option("v1")
    form.locator("button").click()
    page.wait_for_selector("[data-testid=aliases-v1] .tag >> text=production")
    assert page.locator("[data-testid=aliases-v0] .tag").all_text_contents() == []  # one version holds it
    assert sorted(page.locator("[data-testid=aliases-v1] .tag").all_text_contents()) == ["latest", "production"]
    newest = page.locator("[data-testid=registry-audit] tbody tr").first.locator("td").all_text_contents()
    assert newest[1:] == ["production", "v0", "v1", "admin"]
    assert newest[0].startswith("20")  # when: a date and time
    # The page's move is the API's: the audit there says the same.
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {web_server.api_key}"
    audit = s.get(f"{web_server.url}/api/v1/orgs/local/registry/{name}").json()["audit"]
    assert (audit[0]["alias"], audit[0]["from_version"], audit[0]["to_version"], audit[0]["user"]) == ("production", "v0", "v1", "admin")


def test_the_registry_pages_are_404_to_outsiders(web_server: ServerProcess) -> None:
    name, _ = registered(web_server)
    for url in ("/local/-/registry/", f"/local/-/registry/{name}/"):
        assert requests.get(web_server.url + url, allow_redirects=False).status_code == 404
