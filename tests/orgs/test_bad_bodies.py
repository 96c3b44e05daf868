"""Accounts: a body of the wrong JSON type is a 400 naming the problem, and the
keys page refuses a key id that is not one; nothing changes either way."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.orgs.models import ApiKey, Membership, Organization, Role
from tests.factories import World

pytestmark = pytest.mark.django_db

NOT_OBJECTS = [b"[1]", b"5", b'"member"', b"null", b"true"]


def send(client: Any, method: str, path: str, body: bytes) -> Any:
    return client.generic(method, path, body, content_type="application/json")


def signed_in(user: Any) -> APIClient:
    """A session: keys are made with a password or a session, never with a key."""
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_a_member_change_whose_body_is_not_an_object_is_a_400(world: World, body: bytes) -> None:
    response = send(world.owner.client(), "PATCH", "/api/v1/orgs/acme/members/bob", body)
    assert response.status_code == 400
    assert response.json() == {"error": "The body must be a JSON object."}
    assert Membership.objects.get(organization=world.org, user=world.member.user).role == Role.MEMBER


@pytest.mark.parametrize("body", NOT_OBJECTS)
@pytest.mark.parametrize("path", ["/api/v1/orgs", "/api/v1/orgs/acme/members", "/api/v1/keys"])
def test_other_account_bodies_that_are_not_objects_are_400s(world: World, path: str, body: bytes) -> None:
    keys, orgs = ApiKey.objects.count(), Organization.objects.count()
    client = signed_in(world.owner.user) if path == "/api/v1/keys" else world.owner.client()
    response = send(client, "POST", path, body)
    assert response.status_code == 400
    assert response.json() == {"error": "The body must be a JSON object."}
    assert (ApiKey.objects.count(), Organization.objects.count()) == (keys, orgs)


def test_a_key_name_that_is_not_text_is_a_400(world: World) -> None:
    response = signed_in(world.member.user).post("/api/v1/keys", {"name": {"a": 1}}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "name"


def page(world: World) -> Client:
    c = Client()
    c.force_login(world.member.user)
    return c


@pytest.mark.parametrize("key_id", ["abc", "", "1.5", "-1", "99999999999999999999999", "١"])
def test_revoking_something_that_is_not_a_key_id_on_the_keys_page_is_refused(world: World, key_id: str) -> None:
    response = page(world).post("/settings/keys/", {"action": "revoke", "key_id": key_id})
    assert response.status_code == 400
    assert b"No such key." in response.content
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()


def test_revoking_ones_own_key_on_the_keys_page_still_works(world: World) -> None:
    key = ApiKey.objects.get(user=world.member.user)
    response = page(world).post("/settings/keys/", {"action": "revoke", "key_id": str(key.pk)})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
