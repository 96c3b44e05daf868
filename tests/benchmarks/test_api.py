"""The benchmarks API: creating with checked input, listing what one may see, the schema."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.benchmarks.conftest import Lab, benchmark_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "Bad Slug", "metric_key": "acc"}, "slug"),
        ({"slug": "b"}, "metric_key"),
        ({"slug": "b", "metric_key": "acc", "direction": "up"}, "direction"),
        ({"slug": "b", "metric_key": "acc", "visibility": "secret"}, "visibility"),
        ({"slug": "b", "metric_key": "acc", "task_url": "javascript:alert(1)"}, "task_url"),
        ({"slug": "b", "metric_key": "acc", "secondary_metrics": [{"name": "x"}]}, "secondary_metrics[0].key"),
        ({"slug": "b", "metric_key": "acc", "config_columns": "lr"}, "config_columns"),
        ({"slug": "b", "metric_key": "acc", "requires_approval": "yes"}, "requires_approval"),
        ({"slug": "b", "metric_key": "acc", "precision": 13}, "precision"),
        ({"slug": "b", "metric_key": "acc", "precision": "2"}, "precision"),
        ({"slug": "b", "metric_key": "acc", "precision": True}, "precision"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(lab: Lab, body: dict[str, object], field: str) -> None:
    r = lab.olivia.client().post("/api/v1/benchmarks/", {"org": "lab", **body}, format="json")
    assert r.status_code == 400
    assert r.json()["field"] == field


def test_a_slug_is_unique_in_its_organisation(lab: Lab) -> None:
    benchmark_create(lab)
    r = lab.olivia.client().post("/api/v1/benchmarks/", {"org": "lab", "slug": "imagenet", "metric_key": "a"}, format="json")
    assert r.status_code == 409


def test_the_list_holds_public_ones_and_those_one_is_invited_to(lab: Lab) -> None:
    benchmark_create(lab, slug="open")
    benchmark_create(lab, slug="closed", visibility="limited")
    lab.olivia.client().put("/api/v1/benchmarks/lab/closed/invites/evil")

    def slugs(who: object) -> list[str]:
        return [b["slug"] for b in who.client().get("/api/v1/benchmarks/").json()["results"]]  # type: ignore[attr-defined]

    assert slugs(lab.anonymous) == ["open"]
    assert slugs(lab.member) == ["open"]
    assert slugs(lab.outsider) == ["closed", "open"]  # evil is invited
    assert slugs(lab.oscar) == ["closed", "open"]
    assert lab.olivia.client().get("/api/v1/benchmarks/lab/closed/invites/").json() == {"orgs": ["evil"]}
    assert lab.outsider.client().get("/api/v1/benchmarks/lab/closed/invites/").status_code == 403


def test_the_detail_says_who_may_moderate(lab: Lab) -> None:
    benchmark_create(lab, description="**bold**", secondary_metrics=["top5"], config_columns=["lr"])
    body = lab.olivia.client().get("/api/v1/benchmarks/lab/imagenet").json()
    assert body["can_moderate"] is True
    assert body["metric"] == {"name": "acc", "key": "acc", "direction": "higher"}
    assert body["secondary_metrics"] == [{"name": "top5", "key": "top5"}]
    assert lab.anonymous.client().get("/api/v1/benchmarks/lab/imagenet").json()["can_moderate"] is False


def test_the_pages_render_markdown_safely(lab: Lab) -> None:
    benchmark_create(lab, description="**bold** <script>alert(1)</script> [x](javascript:alert(1))")
    page = Client().get("/benchmarks/lab/imagenet/")
    assert page.status_code == 200
    assert b"<strong>bold</strong>" in page.content
    assert b"<script>alert(1)" not in page.content and b"href=\"javascript" not in page.content
    assert b"imagenet" in Client().get("/benchmarks/").content.lower()
    assert Client().get("/benchmarks/lab/nope/").status_code == 404
    assert Client().get("/api/v1/benchmarks/lab/imagenet/leaderboard/export.xml").status_code == 404


def test_the_schema_lists_the_benchmark_endpoints(lab: Lab) -> None:
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/benchmarks/{owner}/{slug}/leaderboard", "/api/v1/benchmarks/{owner}/{slug}/submissions/",
                 "/api/v1/benchmarks/{owner}/{slug}/badge.svg"):
        assert path in schema


@pytest.mark.django_db(transaction=True)  # the scoring task runs on commit
def test_the_pages_show_scores_to_the_benchmarks_decimal_places(lab: Lab) -> None:
    from tests.benchmarks.conftest import finished_run, submit

    benchmark = benchmark_create(lab, precision=3)
    assert lab.olivia.client().get("/api/v1/benchmarks/lab/imagenet").json()["precision"] == 3
    submit(lab.owner, benchmark, finished_run(lab.private, "r1", {"acc": 0.87654321}))
    page = Client().get("/benchmarks/lab/imagenet/").content.decode()
    assert ">0.877<" in page and "0.876543" not in page
    badge = Client().get("/api/v1/benchmarks/lab/imagenet/badge.svg").content.decode()
    assert "0.877" in badge
    r = lab.olivia.client().patch("/api/v1/benchmarks/lab/imagenet", {"precision": None}, format="json")
    assert r.status_code == 200
    assert ">0.876543<" in Client().get("/benchmarks/lab/imagenet/").content.decode()
