"""Organisation members: only admins add or change them, and the last admin cannot step down."""

from __future__ import annotations

import pytest

from tests.factories import World

pytestmark = pytest.mark.django_db


def test_only_admins_manage_members(world: World) -> None:
    add = {"username": "mallory", "role": "admin"}
    assert world.member.client().post("/api/v1/orgs/acme/members", add, format="json").status_code == 403
    assert world.outsider.client().post("/api/v1/orgs/acme/members", add, format="json").status_code == 404
    assert world.owner.client().post("/api/v1/orgs/acme/members", {**add, "role": "viewer"}, format="json").status_code == 201
    assert world.outsider.client().get("/api/v1/projects/acme/secret/runs/").status_code == 200
    # The last admin cannot step down.
    assert world.owner.client().patch("/api/v1/orgs/acme/members/alice", {"role": "member"}, format="json").status_code == 403
