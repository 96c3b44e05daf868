"""People in the browser, against a real server whose mail goes to files:
an admin's invitation link turns a stranger into a member, and a forgotten
password is reset through the emailed link."""

from __future__ import annotations

import email
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("people-server")
    server = ServerProcess(data, extra_env={
        "CAIRN_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "CAIRN_EMAIL_FILE_PATH": str(data / "mail"),
    })
    try:
        server.start()
    except Exception as e:
        raise RuntimeError(f"{e}\n{server.log_tail()}") from e
    server.admin_password = (data / "admin-password").read_text().strip()  # type: ignore[attr-defined]
    yield server
    server.cleanup()


def mail_wait(server: ServerProcess, to: str, timeout: float = 30.0) -> str:
    """The body of the first mail to `to`, sent by the server's Celery worker."""
    folder = server.data_dir / "mail"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.log")) if folder.exists() else []:
            for raw in Path(path).read_text().split("-" * 79):
                if raw.strip():
                    message = email.message_from_string(raw.strip())
                    if message["To"] == to:
                        return str(message.get_payload(decode=True).decode())  # type: ignore[union-attr]
        time.sleep(0.2)
    raise AssertionError(f"no mail to {to} within {timeout}s; server log:\n{server.log_tail()}")


def test_an_admin_invites_by_link_and_a_new_person_signs_up_into_the_org(mail_server: ServerProcess, new_page: Any) -> None:
    admin = new_page(mail_server.url)
    sign_in(admin, "admin", mail_server.admin_password)  # type: ignore[attr-defined]
    admin.goto("/local/-/members/")
    admin.select_option("[data-testid=invite-link] select[name=role]", "viewer")
    admin.fill("[data-testid=invite-link] input[name=days]", "3")
    admin.click("[data-testid=invite-link] button")
    link = admin.text_content("[data-testid=new-link]").strip()
    assert re.fullmatch(rf"{re.escape(mail_server.url)}/join/[A-Za-z0-9_-]{{43}}/", link), link
    assert admin.text_content("[data-testid=links] [data-testid=link-state]").startswith("valid until")

    name = f"newbie{uuid.uuid4().hex[:6]}"
    stranger = new_page(mail_server.url)  # a fresh context: no session
    stranger.goto(link)
    assert "invites you to Local as viewer" in " ".join(stranger.text_content("[data-testid=join-offer]").split())
    stranger.fill("[data-testid=signup-form] input[name=username]", name)
    stranger.fill("[data-testid=signup-form] input[name=password1]", "copper lantern 71")
    stranger.fill("[data-testid=signup-form] input[name=password2]", "copper lantern 71")
    stranger.click("[data-testid=signup-form] button")
    stranger.wait_for_url("**/local/")
    assert stranger.text_content("[data-testid=nav-profile]").strip() == name

    admin.goto("/local/-/members/")
    assert name in admin.text_content("[data-testid=members]")
    assert admin.text_content("[data-testid=links] [data-testid=link-state]").strip() == f"used by {name}"
    # The link worked once: a second person is told why it does not work.
    late = new_page(mail_server.url)
    assert late.goto(link).status == 410
    assert "already used" in late.text_content("[data-testid=join-problem]")


def test_a_forgotten_password_is_reset_by_the_emailed_link(mail_server: ServerProcess, new_page: Any) -> None:
    name = f"forgetful{uuid.uuid4().hex[:6]}"
    address = f"{name}@example.com"
    mail_server.manage("cairn_user", name, "--password", "first amber pass 12")
    page = new_page(mail_server.url)
    sign_in(page, name, "first amber pass 12")
    page.click("[data-testid=nav-profile]")
    page.fill("[data-testid=profile-form] input[name=email]", address)
    page.click("[data-testid=profile-form] button")
    assert page.text_content("[data-testid=notice]") == "Profile saved."
    page.click("[data-testid=sign-out]")
    page.wait_for_load_state()

    page.goto("/login/")
    page.click("[data-testid=forgot-password]")
    page.fill("[data-testid=reset-form] input[name=email]", address)
    page.click("[data-testid=reset-form] button")
    page.wait_for_selector("[data-testid=reset-sent]")
    body = mail_wait(mail_server, address)
    url = re.search(r"http://\S+/password-reset/\S+/", body).group(0)  # type: ignore[union-attr]
    page.goto(url)
    page.fill("[data-testid=set-password-form] input[name=new_password1]", "second cobalt pass 34")
    page.fill("[data-testid=set-password-form] input[name=new_password2]", "second cobalt pass 34")
    page.click("[data-testid=set-password-form] button")
    page.click("[data-testid=reset-sign-in]")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", "second cobalt pass 34")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.text_content("[data-testid=nav-profile]").strip() == name
    # The link works once.
    again = new_page(mail_server.url)
    again.goto(url)
    assert again.locator("[data-testid=reset-invalid]").count() == 1


def test_a_signed_in_user_changes_their_password(mail_server: ServerProcess, new_page: Any) -> None:
    name = f"changer{uuid.uuid4().hex[:6]}"
    mail_server.manage("cairn_user", name, "--password", "old velvet pass 56")
    page = new_page(mail_server.url)
    sign_in(page, name, "old velvet pass 56")
    page.goto("/settings/profile/")
    page.click("[data-testid=password-change-link]")
    page.fill("input[name=old_password]", "old velvet pass 56")
    page.fill("input[name=new_password1]", "new garnet pass 78")
    page.fill("input[name=new_password2]", "new garnet pass 78")
    page.click("[data-testid=password-change-form] button")
    page.wait_for_selector("[data-testid=password-changed]")
    other = new_page(mail_server.url)
    sign_in(other, name, "new garnet pass 78")
    assert other.text_content("[data-testid=nav-profile]").strip() == name
