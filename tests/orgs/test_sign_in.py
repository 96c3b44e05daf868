"""Signing in, against a real server: repeated failures lock a username out
(the sign-in page and HTTP Basic alike), weak passwords are refused, a key
cannot make keys, and a revoked key is refused everywhere."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server

LIMIT = 5  # CAIRN_LOGIN_FAILURE_LIMIT's default
LOCKOUT_SECONDS = 900  # CAIRN_LOGIN_LOCKOUT_SECONDS's default


def user_create(server: ServerProcess, *extra: str) -> tuple[str, str, str]:
    """A new user: (username, password, the cairn_user command's output)."""
    name, password = f"user{uuid.uuid4().hex[:8]}", f"violet {uuid.uuid4().hex[:8]} lantern"
    out = server.manage("cairn_user", name, "--password", password, *extra).stdout
    return name, password, out


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_http_basic_locks_a_username_out_after_repeated_failures(cairn_server: ServerProcess) -> None:
    name, password, _ = user_create(cairn_server)
    keys = f"{cairn_server.url}/api/v1/keys"
    failures = [requests.post(keys, json={}, auth=(name, f"wrong-{i}"), timeout=30) for i in range(LIMIT - 1)]
    assert [r.status_code for r in failures] == [401] * (LIMIT - 1)
    locked = requests.post(keys, json={}, auth=(name, "wrong-again"), timeout=30)
    assert locked.status_code == 429
    assert locked.json()["error"].startswith("Too many failed sign-ins")
    assert locked.headers["Retry-After"] == str(LOCKOUT_SECONDS)
    # While locked, the right password is refused too: guessing gains nothing.
    assert requests.post(keys, json={}, auth=(name, password), timeout=30).status_code == 429
    # Another user at the same address is not locked out.
    other, other_password, _ = user_create(cairn_server)
    assert requests.post(keys, json={"name": "laptop"}, auth=(other, other_password), timeout=30).status_code == 201


def test_the_sign_in_page_locks_a_username_out_and_says_why(cairn_server: ServerProcess) -> None:
    name, password, _ = user_create(cairn_server)
    browser = requests.Session()
    login = f"{cairn_server.url}/login/"
    browser.get(login, timeout=30)

    def sign_in(pw: str) -> requests.Response:
        data = {"username": name, "password": pw, "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
        return browser.post(login, data=data, allow_redirects=False, timeout=30)

    for i in range(LIMIT - 1):
        wrong = sign_in(f"wrong-{i}")
        assert wrong.status_code == 200
        assert "Please enter a correct username and password" in wrong.text
    locked = sign_in("wrong-again")
    assert locked.status_code == 429
    assert re.search(r'data-testid="lockout">Too many failed sign-ins[^<]*15 minutes', locked.text)
    assert locked.headers["Retry-After"] == str(LOCKOUT_SECONDS)
    assert sign_in(password).status_code == 429


def test_cairn_user_refuses_a_weak_password(cairn_server: ServerProcess) -> None:
    refused = cairn_server.manage("cairn_user", "weakling", "--password", "a", check=False)
    assert refused.returncode != 0
    assert "password refused" in refused.stderr and "too short" in refused.stderr
    assert requests.post(f"{cairn_server.url}/api/v1/keys", json={}, auth=("weakling", "a"), timeout=30).status_code == 401
    name, password, _ = user_create(cairn_server)
    reset = cairn_server.manage("cairn_user", name, "--password", "12345678", check=False)
    assert reset.returncode != 0 and "too common" in reset.stderr
    assert requests.post(f"{cairn_server.url}/api/v1/keys", json={}, auth=(name, password), timeout=30).status_code == 201


def test_a_key_cannot_make_a_key(cairn_server: ServerProcess) -> None:
    _, _, out = user_create(cairn_server, "--api-key")
    key = re.search(r"api key: (\S+)", out).group(1)  # type: ignore[union-attr]
    made = requests.post(f"{cairn_server.url}/api/v1/keys", json={"name": "child"}, headers=bearer(key), timeout=30)
    assert made.status_code == 403
    assert "cannot make another key" in made.json()["error"]
    assert [k["name"] for k in requests.get(f"{cairn_server.url}/api/v1/keys", headers=bearer(key), timeout=30).json()["results"]] == ["cairn_user"]


def test_a_revoked_key_is_refused_by_health_too(cairn_server: ServerProcess) -> None:
    _, _, out = user_create(cairn_server, "--api-key")
    key = re.search(r"api key: (\S+)", out).group(1)  # type: ignore[union-attr]
    health = f"{cairn_server.url}/api/v1/health"
    assert requests.get(health, headers=bearer(key), timeout=30).json() == {"status": "ok"}
    key_id = requests.get(f"{cairn_server.url}/api/v1/keys", headers=bearer(key), timeout=30).json()["results"][0]["id"]
    assert requests.delete(f"{cairn_server.url}/api/v1/keys/{key_id}", headers=bearer(key), timeout=30).status_code == 204
    revoked = requests.get(health, headers=bearer(key), timeout=30)
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["error"]
    assert requests.get(health, timeout=30).status_code == 200  # a load balancer sends no key
