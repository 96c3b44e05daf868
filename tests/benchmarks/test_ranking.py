"""Ranking: both directions, ties to the earlier submission, pages, filters keep the global rank."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps.benchmarks.models import Submission
from tests.benchmarks.conftest import Lab, benchmark_create, finished_run, leaderboard, submit

pytestmark = pytest.mark.django_db(transaction=True)


def _enter(lab: Lab, b: object, scores: list[float], project: object = None, **run_fields: object) -> list[int]:
    ids = []
    for i, score in enumerate(scores):
        run = finished_run(project or lab.private, f"r{i}-{score}", {"acc": score, "loss": score}, **run_fields)
        r = submit(lab.member, b, run)  # type: ignore[arg-type]
        assert r.status_code == 201, r.content
        ids.append(r.json()["id"])
    return ids


@pytest.mark.parametrize(("direction", "expected"), [("higher", [0.9, 0.7, 0.5, 0.1]), ("lower", [0.1, 0.5, 0.7, 0.9])])
def test_it_ranks_by_the_primary_metric_in_its_direction(lab: Lab, direction: str, expected: list[float]) -> None:
    b = benchmark_create(lab, direction=direction)
    _enter(lab, b, [0.5, 0.9, 0.1, 0.7])
    results = leaderboard(lab.anonymous, b)["results"]
    assert [e["score"] for e in results] == expected
    assert [e["rank"] for e in results] == [1, 2, 3, 4]


def test_a_tie_goes_to_the_earlier_submission(lab: Lab) -> None:
    b = benchmark_create(lab)
    first, second = _enter(lab, b, [0.8, 0.8])
    # Make the second one earlier: the order follows submission time, not ids.
    earlier = Submission.objects.get(pk=first).submitted_at - timedelta(seconds=5)
    Submission.objects.filter(pk=second).update(submitted_at=earlier)
    assert [e["id"] for e in leaderboard(lab.anonymous, b)["results"]] == [second, first]


def test_pages_continue_the_ranks(lab: Lab) -> None:
    b = benchmark_create(lab)
    _enter(lab, b, [float(i) for i in range(7)])
    page = leaderboard(lab.anonymous, b, limit=3, offset=3)
    assert page["count"] == 7
    assert [(e["rank"], e["score"]) for e in page["results"]] == [(4, 3.0), (5, 2.0), (6, 1.0)]


def test_filters_by_organisation_and_config_keep_the_global_rank(lab: Lab) -> None:
    b = benchmark_create(lab, config_columns=["optimizer", "lr"])
    other = lab.world.outsider  # mallory, admin of evil
    from apps.runs.models import Project

    evil = Project.objects.create(organization=lab.world.other_org, slug="evil-runs")
    _enter(lab, b, [0.9, 0.5], config={"optimizer": "sgd", "lr": 0.1})
    for i, score in enumerate([0.7, 0.3]):
        run = finished_run(evil, f"e{i}", {"acc": score}, config={"optimizer": "adam", "lr": 0.01})
        assert submit(other, b, run).status_code == 201
    by_org = leaderboard(lab.anonymous, b, org="evil")
    assert [(e["rank"], e["score"], e["org"]) for e in by_org["results"]] == [(2, 0.7, "evil"), (4, 0.3, "evil")]
    assert by_org["count"] == 2
    sgd = leaderboard(lab.anonymous, b, config="optimizer=sgd")["results"]
    assert [(e["rank"], e["config"]["optimizer"]) for e in sgd] == [(1, "sgd"), (3, "sgd")]
    by_number = leaderboard(lab.anonymous, b, config="lr=0.01")["results"]
    assert [e["score"] for e in by_number] == [0.7, 0.3]
    both = lab.anonymous.client().get(
        "/api/v1/benchmarks/lab/imagenet/leaderboard?config=optimizer=adam&config=lr=0.1"
    ).json()
    assert both["count"] == 0
    bad = lab.anonymous.client().get("/api/v1/benchmarks/lab/imagenet/leaderboard?config=noequals")
    assert bad.status_code == 400 and bad.json()["field"] == "config"


def test_the_best_over_time_lists_each_record(lab: Lab) -> None:
    b = benchmark_create(lab)
    _enter(lab, b, [0.5, 0.4, 0.8, 0.6, 0.9])
    points = lab.anonymous.client().get("/api/v1/benchmarks/lab/imagenet/leaderboard/best").json()["points"]
    assert [p["score"] for p in points] == [0.5, 0.8, 0.9]


def test_the_badge_shows_the_best_score(lab: Lab) -> None:
    b = benchmark_create(lab, name="ImageNet <top-1>")
    empty = lab.anonymous.client().get("/api/v1/benchmarks/lab/imagenet/badge.svg")
    assert empty.status_code == 200 and b"no entries" in empty.content
    _enter(lab, b, [0.5, 0.8125])
    r = lab.anonymous.client().get("/api/v1/benchmarks/lab/imagenet/badge.svg")
    assert r["Content-Type"] == "image/svg+xml"
    assert b"0.8125" in r.content and b"ImageNet &lt;top-1&gt;" in r.content and b"<top-1>" not in r.content


def test_exports_hold_every_entry_in_rank_order(lab: Lab) -> None:
    b = benchmark_create(lab, secondary_metrics=["loss"], config_columns=["optimizer"])
    _enter(lab, b, [0.5, 0.9, 0.7], config={"optimizer": "=cmd()"})
    c = lab.anonymous.client()
    csv_text = b"".join(c.get("/api/v1/benchmarks/lab/imagenet/leaderboard/export.csv").streaming_content).decode()
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("rank,name,org,submitted_by,acc,loss,config.optimizer,commit")
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "2", "3"]
    assert [float(line.split(",")[4]) for line in lines[1:]] == [0.9, 0.7, 0.5]
    assert "'=cmd()" in lines[1]  # not a formula in a spreadsheet
    import json

    data = json.loads(b"".join(c.get("/api/v1/benchmarks/lab/imagenet/leaderboard/export.json").streaming_content))
    assert [e["score"] for e in data["results"]] == [0.9, 0.7, 0.5]
    assert data["benchmark"]["metric"] == {"name": "acc", "key": "acc", "direction": "higher"}
