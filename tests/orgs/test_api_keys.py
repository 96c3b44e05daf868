"""API keys: a wrong key is refused, and a revoked one stops working at once."""

from __future__ import annotations

import pytest

from tests.factories import World

pytestmark = pytest.mark.django_db


def test_it_refuses_a_wrong_or_revoked_key(world: World) -> None:
    from rest_framework.test import APIClient

    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer cairn_deadbeef_notakey")
    assert bad.get("/api/v1/projects/acme/open/runs/").status_code == 401
    keys = world.member.client().get("/api/v1/keys").json()["results"]
    assert world.member.client().delete(f"/api/v1/keys/{keys[0]['id']}").status_code == 204
    response = world.member.client().get("/api/v1/projects/acme/secret/runs/")
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]


def test_keys_are_made_with_a_password_or_a_session_never_with_a_key(world: World) -> None:
    import base64

    from rest_framework.test import APIClient

    refused = world.member.client().post("/api/v1/keys", {"name": "child"}, format="json")
    assert refused.status_code == 403
    basic = APIClient()
    basic.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"bob:bob-password").decode())
    made = basic.post("/api/v1/keys", {"name": "laptop"}, format="json")
    assert made.status_code == 201 and made.json()["key"].startswith("cairn_")
    session = APIClient()
    session.force_login(world.member.user)
    assert session.post("/api/v1/keys", {"name": "browser"}, format="json").status_code == 201


def test_health_refuses_a_revoked_key(world: World) -> None:
    keys = world.member.client().get("/api/v1/keys").json()["results"]
    assert world.member.client().get("/api/v1/health").status_code == 200
    world.member.client().delete(f"/api/v1/keys/{keys[0]['id']}")
    assert world.member.client().get("/api/v1/health").status_code == 401


def test_a_basic_auth_success_forgets_earlier_failures(world: World) -> None:
    import base64

    from rest_framework.test import APIClient

    def basic(password: str) -> int:
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"bob:{password}".encode()).decode())
        return int(c.post("/api/v1/keys", {}, format="json").status_code)

    limit = 5  # CAIRN_LOGIN_FAILURE_LIMIT's default
    assert [basic("wrong") for _ in range(limit - 1)] == [401] * (limit - 1)
    assert basic("bob-password") == 201
    assert [basic("wrong") for _ in range(limit - 1)] == [401] * (limit - 1)
    assert basic("wrong") == 429
    assert basic("bob-password") == 429


def test_a_compressed_body_is_read_once_http_basic_signed_in(world: World) -> None:
    import base64
    import gzip

    from rest_framework.test import APIClient

    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"bob:bob-password").decode())
    made = c.generic("POST", "/api/v1/keys", gzip.compress(b'{"name": "laptop"}'), content_type="application/json",
                     HTTP_CONTENT_ENCODING="gzip")
    assert made.status_code == 201 and made.json()["name"] == "laptop"
