"""Who may do what: viewers read rules, members write them, admins own channels; outsiders see nothing."""

from __future__ import annotations

import pytest

from tests.alerts.helpers import P, channel, rule
from tests.factories import World

pytestmark = pytest.mark.django_db

RULE = {"kind": "metric", "condition": "loss > 1"}


def test_a_viewer_cannot_create_rules(world: World) -> None:
    assert world.viewer.client().post(f"{P}/alert-rules", RULE, format="json").status_code == 403
    assert world.anonymous.client().post(f"{P}/alert-rules", RULE, format="json").status_code == 404
    assert world.outsider.client().post(f"{P}/alert-rules", RULE, format="json").status_code == 404
    made = rule(world.member, **RULE)
    assert [r["id"] for r in world.viewer.client().get(f"{P}/alert-rules").json()["results"]] == [made["id"]]
    assert world.viewer.client().patch(f"{P}/alert-rules/{made['id']}", {"enabled": False}, format="json").status_code == 403
    assert world.outsider.client().get(f"{P}/alert-rules/{made['id']}").status_code == 404
    assert world.member.client().delete(f"{P}/alert-rules/{made['id']}").status_code == 204


def test_only_admins_configure_channels_and_members_see_no_urls(world: World) -> None:
    body = {"name": "ops", "kind": "slack", "url": "https://hooks.example.com/T000/B000/secret"}
    c = "/api/v1/orgs/acme/alert-channels"
    assert world.member.client().post(c, body, format="json").status_code == 403
    assert world.outsider.client().post(c, body, format="json").status_code == 404
    made = channel(world.owner, **body)
    assert len(made["secret"]) == 64
    [seen] = world.member.client().get(c).json()["results"]
    assert (seen["name"], seen["url"], "secret" not in seen) == ("ops", None, True)
    assert world.owner.client().get(c).json()["results"][0]["url"] == body["url"]
    assert world.member.client().get(f"{c}/{made['id']}").status_code == 403
    assert world.outsider.client().get(c).status_code == 404


def test_rules_only_name_channels_of_their_own_organisation(world: World) -> None:
    theirs = channel(world.outsider, org="evil", url="https://example.com/hook")
    r = world.member.client().post(f"{P}/alert-rules", {**RULE, "channels": [theirs["id"]]}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "channels"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "nope"}, "kind"),
        ({"kind": "metric"}, "condition"),
        ({"kind": "metric", "condition": "loss >"}, "condition"),
        ({"kind": "metric", "condition": "__import__('os') > 1"}, None),  # a key like any other: no eval
        ({"kind": "metric", "condition": "loss > 1e999"}, "condition"),
        ({"kind": "metric", "condition": "x" * 400}, "condition"),
        ({"kind": "run_stalled"}, "minutes"),
        ({"kind": "run_stalled", "minutes": 0}, "minutes"),
        ({"kind": "run_failed", "states": ["finished"]}, "states"),
        ({"kind": "agent_alert", "min_level": "FATAL"}, "min_level"),
        ({"kind": "run_finished", "best_key": "acc", "best_goal": "up"}, "best_goal"),
        ({"kind": "metric", "condition": "a > 1", "max_per_hour": 0}, "max_per_hour"),
        ({"kind": "metric", "condition": "a > 1", "channels": "all"}, "channels"),
        ({"kind": "metric", "condition": "a > 1", "snooze_minutes": -1}, "snooze_minutes"),
    ],
)
def test_bad_rules_are_400s_naming_the_field(world: World, body: dict[str, object], field: str | None) -> None:
    r = world.member.client().post(f"{P}/alert-rules", body, format="json")
    if field is None:
        assert r.status_code == 201
    else:
        assert (r.status_code, r.json()["field"]) == (400, field)
