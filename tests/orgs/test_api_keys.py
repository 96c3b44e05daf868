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
