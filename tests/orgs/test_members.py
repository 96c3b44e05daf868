"""Organisation members: admins invite, the invitee alone decides to join,
inviting tells nothing about who has an account, any member may leave, and
the last admin cannot step down."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.factories import Person, World
from tests.serverproc import ServerProcess

MEMBERS = "/api/v1/orgs/acme/members"


def my_invitations(person: Person) -> list[dict[str, object]]:
    return person.client().get("/api/v1/invitations").json()["results"]  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_only_admins_invite_and_the_invitee_joins_only_by_accepting(world: World) -> None:
    invite = {"username": "mallory", "role": "viewer"}
    assert world.member.client().post(MEMBERS, invite, format="json").status_code == 403
    assert world.viewer.client().post(MEMBERS, invite, format="json").status_code == 403
    assert world.outsider.client().post(MEMBERS, invite, format="json").status_code == 404
    assert world.anonymous.client().post(MEMBERS, invite, format="json").status_code == 404
    invited = world.owner.client().post(MEMBERS, invite, format="json")
    assert invited.status_code == 202
    assert invited.json() == {"username": "mallory", "role": "viewer", "status": "invited"}
    # Invited is not joined: mallory still sees nothing of acme.
    assert world.outsider.client().get("/api/v1/projects/acme/secret/runs/").status_code == 404
    [invitation] = my_invitations(world.outsider)
    assert (invitation["org"], invitation["role"], invitation["invited_by"]) == ("acme", "viewer", "alice")
    # Nobody else can answer it.
    assert world.member.client().post(f"/api/v1/invitations/{invitation['id']}/accept").status_code == 404
    assert world.anonymous.client().post(f"/api/v1/invitations/{invitation['id']}/accept").status_code == 401
    accepted = world.outsider.client().post(f"/api/v1/invitations/{invitation['id']}/accept")
    assert accepted.status_code == 200 and accepted.json() == {"org": "acme", "role": "viewer"}
    assert world.outsider.client().get("/api/v1/projects/acme/secret/runs/").status_code == 200
    assert my_invitations(world.outsider) == []


@pytest.mark.django_db
def test_a_declined_or_cancelled_invitation_makes_no_member(world: World) -> None:
    owner = world.owner.client()
    assert owner.post(MEMBERS, {"username": "mallory"}, format="json").status_code == 202
    [invitation] = my_invitations(world.outsider)
    assert world.outsider.client().post(f"/api/v1/invitations/{invitation['id']}/decline").status_code == 204
    assert world.outsider.client().get("/api/v1/projects/acme/secret/runs/").status_code == 404
    assert owner.post(MEMBERS, {"username": "mallory"}, format="json").status_code == 202
    pending = owner.get("/api/v1/orgs/acme/invitations").json()["results"]
    assert [i["username"] for i in pending] == ["mallory"]
    assert world.member.client().get("/api/v1/orgs/acme/invitations").status_code == 403
    assert owner.delete(f"/api/v1/orgs/acme/invitations/{pending[0]['id']}").status_code == 204
    assert my_invitations(world.outsider) == []


@pytest.mark.django_db
def test_inviting_tells_nothing_about_who_has_an_account(world: World) -> None:
    owner = world.owner.client()
    real = owner.post(MEMBERS, {"username": "mallory", "role": "member"}, format="json")
    ghost = owner.post(MEMBERS, {"username": "nobody-here", "role": "member"}, format="json")
    assert (real.status_code, ghost.status_code) == (202, 202)
    assert {**real.json(), "username": None} == {**ghost.json(), "username": None}
    assert sorted(i["username"] for i in owner.get("/api/v1/orgs/acme/invitations").json()["results"]) == [
        "mallory", "nobody-here"]
    # Already a member (the admin sees the members anyway): 409, role unchanged.
    again = owner.post(MEMBERS, {"username": "bob", "role": "viewer"}, format="json")
    assert again.status_code == 409
    assert {m["username"]: m["role"] for m in owner.get(MEMBERS).json()["results"]}["bob"] == "member"


@pytest.mark.django_db
def test_a_bad_invitation_body_is_a_400(world: World) -> None:
    owner = world.owner.client()
    assert owner.post(MEMBERS, {"username": "a b"}, format="json").json()["field"] == "username"
    assert owner.post(MEMBERS, {"username": 7}, format="json").json()["field"] == "username"
    assert owner.post(MEMBERS, {"username": "x", "role": "god"}, format="json").json()["field"] == "role"
    assert owner.post(MEMBERS, [1], format="json").status_code == 400
    assert owner.patch(f"{MEMBERS}/bob", [1], format="json").status_code == 400


@pytest.mark.django_db
def test_a_member_may_leave_but_only_an_admin_removes_others(world: World) -> None:
    assert world.viewer.client().delete(f"{MEMBERS}/bob").status_code == 403
    assert world.member.client().delete(f"{MEMBERS}/bob").status_code == 204
    assert world.member.client().get("/api/v1/projects/acme/secret/runs/").status_code == 404
    assert world.outsider.client().delete(f"{MEMBERS}/mallory").status_code == 404
    assert world.owner.client().delete(f"{MEMBERS}/carol").status_code == 204


@pytest.mark.django_db
def test_the_last_admin_cannot_step_down_or_leave(world: World) -> None:
    owner = world.owner.client()
    assert owner.patch(f"{MEMBERS}/alice", {"role": "member"}, format="json").status_code == 403
    assert owner.delete(f"{MEMBERS}/alice").status_code == 403
    assert owner.patch(f"{MEMBERS}/bob", {"role": "admin"}, format="json").status_code == 200
    assert owner.delete(f"{MEMBERS}/alice").status_code == 204


@pytest.mark.server
def test_on_a_real_server_no_one_is_made_a_member_without_accepting(cairn_server: ServerProcess) -> None:
    def person(*extra: str) -> tuple[str, dict[str, str]]:
        name = f"p{uuid.uuid4().hex[:8]}"
        out = cairn_server.manage("cairn_user", name, "--password", f"amber {name} kettle", "--api-key", *extra).stdout
        key = re.search(r"api key: (\S+)", out).group(1)  # type: ignore[union-attr]
        return name, {"Authorization": f"Bearer {key}"}

    url = cairn_server.url
    attacker, attacker_auth = person("--org", f"trap-{uuid.uuid4().hex[:6]}")
    victim, victim_auth = person()
    trap = requests.get(f"{url}/api/v1/viewer", headers=attacker_auth, timeout=30).json()["orgs"][0]["slug"]
    members = f"{url}/api/v1/orgs/{trap}/members"
    real = requests.post(members, json={"username": victim, "role": "admin"}, headers=attacker_auth, timeout=30)
    ghost = requests.post(members, json={"username": "no-such-user-here", "role": "admin"}, headers=attacker_auth, timeout=30)
    assert (real.status_code, ghost.status_code) == (202, 202)
    assert real.json()["status"] == ghost.json()["status"] == "invited"
    assert requests.get(f"{url}/api/v1/viewer", headers=victim_auth, timeout=30).json()["orgs"] == []
    [invitation] = requests.get(f"{url}/api/v1/invitations", headers=victim_auth, timeout=30).json()["results"]
    assert requests.post(f"{url}/api/v1/invitations/{invitation['id']}/decline", headers=victim_auth, timeout=30).status_code == 204
    assert requests.get(f"{url}/api/v1/viewer", headers=victim_auth, timeout=30).json()["orgs"] == []

    # Accepting joins; a member may leave again.
    assert requests.post(members, json={"username": victim, "role": "member"}, headers=attacker_auth, timeout=30).status_code == 202
    [invitation] = requests.get(f"{url}/api/v1/invitations", headers=victim_auth, timeout=30).json()["results"]
    assert requests.post(f"{url}/api/v1/invitations/{invitation['id']}/accept", headers=victim_auth, timeout=30).json()["role"] == "member"
    assert [o["slug"] for o in requests.get(f"{url}/api/v1/viewer", headers=victim_auth, timeout=30).json()["orgs"]] == [trap]
    assert requests.delete(f"{members}/{victim}", headers=victim_auth, timeout=30).status_code == 204
    assert requests.get(f"{url}/api/v1/viewer", headers=victim_auth, timeout=30).json()["orgs"] == []

    # The operator's command still adds members directly.
    cairn_server.manage("cairn_user", victim, "--password", f"amber {victim} kettle", "--org", trap, "--role", "viewer")
    assert requests.get(f"{url}/api/v1/viewer", headers=victim_auth, timeout=30).json()["orgs"] == [{"slug": trap, "role": "viewer"}]
