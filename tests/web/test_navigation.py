"""Finding one's way: the top bar's links, the organisation page, quick search, project settings, error pages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]


def _session(server: ServerProcess) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    return s


def _project(server: ServerProcess, visibility: str = "private") -> str:
    slug = f"nav-{uuid.uuid4().hex[:8]}"
    r = _session(server).post(f"{server.url}/api/v1/orgs/local/projects", json={"slug": slug, "visibility": visibility})
    assert r.status_code == 201, r.text
    return slug


def _admin(server: ServerProcess, new_page: Any) -> Any:
    page = new_page(server.url)
    sign_in(page, "admin", server.admin_password)  # type: ignore[attr-defined]
    return page


def test_the_top_bar_leads_to_the_organisations_projects_reports_and_benchmarks(
    web_server: ServerProcess, new_page: Any
) -> None:
    s, api = _session(web_server), f"{web_server.url}/api/v1"
    slug = _project(web_server)
    title = f"Findings {uuid.uuid4().hex[:6]}"
    key = s.post(f"{api}/projects/local/{slug}/reports", json={"title": title}).json()["id"]
    assert s.post(f"{api}/reports/{key}/publish", json={"visibility": "org"}).ok
    bench = f"navb-{uuid.uuid4().hex[:6]}"
    r = s.post(f"{api}/benchmarks/", json={"org": "local", "slug": bench, "name": f"Bench {bench}", "metric_key": "acc"})
    assert r.status_code == 201, r.text

    page = _admin(web_server, new_page)
    page.goto(f"/local/{slug}/")
    page.click("[data-testid=nav-reports]")
    page.wait_for_url("**/local/#reports")
    page.click(f"[data-testid=org-reports] a:text-is('{title}')")
    page.wait_for_url(f"**/local/{slug}/reports/{key}/")
    page.click("[data-testid=nav-benchmarks]")
    page.wait_for_url("**/local/#benchmarks")
    page.click(f"[data-testid=org-benchmarks] a:text-is('Bench {bench}')")
    page.wait_for_url(f"**/benchmarks/local/{bench}/")
    page.click("[data-testid=nav-projects]")
    page.wait_for_url("**/local/")
    assert page.locator(f"[data-testid=projects] a[href='/local/{slug}/']").count() == 1


def test_quick_search_finds_projects_runs_and_reports_the_caller_may_read(
    web_server: ServerProcess, new_page: Any
) -> None:
    s, api = _session(web_server), f"{web_server.url}/api/v1"
    word = f"zebra{uuid.uuid4().hex[:6]}"
    slug = _project(web_server)
    s.put(f"{api}/projects/local/{slug}/runs/r1", json={"name": f"{word}-baseline"}).raise_for_status()
    s.post(f"{api}/projects/local/{slug}/reports", json={"title": f"{word} report"}).raise_for_status()

    page = _admin(web_server, new_page)
    page.fill("[data-testid=quick-search]", word)
    page.press("[data-testid=quick-search]", "Enter")
    page.wait_for_url(f"**/search/?q={word}")
    assert page.text_content("[data-testid=search-reports]").count(f"{word} report") == 1  # the author's draft
    page.click(f"[data-testid=search-runs] a:text-is('{word}-baseline')")
    page.wait_for_url(f"**/local/{slug}/runs/r1")

    outsider = new_page(web_server.url)  # signed out: a private project's runs stay hidden
    outsider.goto(f"/search/?q={word}")
    assert outsider.locator("[data-testid=search-runs], [data-testid=search-reports]").count() == 0
    assert "sign in" in outsider.text_content("[data-testid=search-none]")


def test_an_admin_renames_describes_publishes_and_deletes_a_project(
    web_server: ServerProcess, new_page: Any
) -> None:
    slug = _project(web_server)
    page = _admin(web_server, new_page)
    page.goto(f"/local/{slug}/")
    page.click("[data-testid=project-settings-link]")
    page.wait_for_url(f"**/local/{slug}/settings/")
    page.fill("[data-testid=project-name]", "Image classifiers")
    page.fill("[data-testid=project-description]", "ResNets on CIFAR")
    page.select_option("[data-testid=project-visibility]", "public")
    page.click("[data-testid=project-save]")
    assert page.text_content("[data-testid=notice]") == "Saved."
    public = requests.get(f"{web_server.url}/api/v1/projects/local/{slug}").json()
    assert (public["name"], public["description"], public["visibility"]) == ("Image classifiers", "ResNets on CIFAR", "public")

    page.fill("[data-testid=project-delete-confirm]", "not-it")
    page.click("[data-testid=project-delete-button]")
    assert page.text_content("[data-testid=settings-error]") == f"Type {slug} to confirm."
    assert _session(web_server).get(f"{web_server.url}/api/v1/projects/local/{slug}").status_code == 200
    page.fill("[data-testid=project-delete-confirm]", slug)
    page.click("[data-testid=project-delete-button]")
    page.wait_for_url("**/local/")
    assert page.text_content("[data-testid=notice]") == f"Deleted project local/{slug}."
    assert _session(web_server).get(f"{web_server.url}/api/v1/projects/local/{slug}").status_code == 404


def test_a_member_who_is_not_an_admin_gets_a_styled_403_on_project_settings(
    web_server: ServerProcess, new_page: Any
) -> None:
    slug = _project(web_server)
    name = f"member{uuid.uuid4().hex[:6]}"
    web_server.manage("cairn_user", name, "--password", f"granite {name} river", "--org", "local")
    page = new_page(web_server.url)
    sign_in(page, name, f"granite {name} river")
    page.goto(f"/local/{slug}/")
    assert page.locator("[data-testid=project-settings-link]").count() == 0
    response = page.goto(f"/local/{slug}/settings/")
    assert response.status == 403
    assert page.get_attribute("[data-testid=error-page]", "data-status") == "403"
    assert page.locator("[data-testid=error-sign-in]").count() == 0  # signed in already
    assert page.locator("header [data-testid=nav-projects]").count() == 1


def test_a_private_projects_link_opened_signed_out_offers_to_sign_in_and_leads_back(
    web_server: ServerProcess, new_page: Any
) -> None:
    slug = _project(web_server)
    page = new_page(web_server.url)
    response = page.goto(f"/local/{slug}/")
    assert response.status == 404
    assert page.get_attribute("[data-testid=error-page]", "data-status") == "404"
    assert page.locator("link[rel=stylesheet]").count() >= 1  # the app's page, not Django's bare one
    page.click("[data-testid=error-sign-in] a")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", web_server.admin_password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")
    page.wait_for_url(f"**/local/{slug}/")
    page.wait_for_selector("[data-testid=runs-table]")


def test_an_unknown_address_signed_in_is_a_styled_404_without_a_sign_in_offer(
    web_server: ServerProcess, new_page: Any
) -> None:
    page = _admin(web_server, new_page)
    response = page.goto("/local/no-such-project-here/")
    assert response.status == 404
    assert page.text_content("[data-testid=error-page] h1") == "Not found"
    assert page.locator("[data-testid=error-sign-in]").count() == 0
