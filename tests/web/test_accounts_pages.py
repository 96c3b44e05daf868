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


def test_an_admin_invites_from_the_members_page_and_the_invitee_accepts_then_leaves(web_server: ServerProcess, new_page: Any) -> None:
    import uuid

    name = f"invitee{uuid.uuid4().hex[:6]}"
    web_server.manage("cairn_user", name, "--password", f"quartz {name} meadow")
    admin = new_page(web_server.url)
    sign_in(admin, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    admin.goto("/local/-/members/")
    notices = []
    for username in (name, f"ghost{uuid.uuid4().hex[:6]}"):
        admin.fill("[data-testid=invite-member] input[name=username]", username)
        admin.select_option("[data-testid=invite-member] select[name=role]", "viewer")
        admin.click("[data-testid=invite-member] button")
        notices.append(admin.text_content("[data-testid=notice]").replace(username, "NAME"))
    # The same words whether or not the user exists.
    assert notices[0] == notices[1] == "Invited NAME as viewer: they become a member when they accept."
    assert name in admin.text_content("[data-testid=invitations]")
    assert name not in admin.text_content("[data-testid=members]")

    invitee = new_page(web_server.url)
    sign_in(invitee, name, f"quartz {name} meadow")
    assert invitee.text_content("[data-testid=nav-invitations]").strip() == "Invitations (1)"
    invitee.click("[data-testid=my-invitations] tr[data-org=local] [data-testid=accept]")
    invitee.wait_for_load_state()
    assert invitee.url.endswith("/local/")
    assert invitee.locator("[data-testid=nav-invitations]").count() == 0
    admin.goto("/local/-/members/")
    assert name in admin.text_content("[data-testid=members]")

    invitee.goto("/local/")
    invitee.click("[data-testid=org-settings]")  # members see the members page, and leave from it
    invitee.click("[data-testid=leave] button")
    invitee.wait_for_load_state()
    assert invitee.goto("/local/").status == 404
