"""Hostile regular expressions in the filter language, and the time limit on read requests.

In-process, on SQLite or PostgreSQL (whichever DATABASE_URL names); the real
server's side is tests/runs/test_hostile_filters_e2e.py.
"""

from __future__ import annotations

import json
import random
import re
import time
from typing import Any

import pytest
from django.db import connection

from apps.runs.models import Run
from apps.runs.query import FilterError, filter_runs, parse_filter
from tests.factories import World, run_create, world_create
from tests.reports.helpers import line_block, report_make

pytestmark = pytest.mark.django_db

CATASTROPHIC = 'name ~ "(.|.)*!"'  # 42 s per 28-character name in Python's `re`
# Linear, but 0.2 to 0.4 s per 100,000-character note in RE2 and in PostgreSQL.
SLOW = 'notes ~ "(a[abc]{160}d|b[abc]{160}d|c[abc]{160}d)"'
LIMIT = 0.2


@pytest.fixture
def world() -> World:
    return world_create()


@pytest.fixture
def slow(world: World, settings: Any) -> World:
    """The public project holds runs that SLOW takes seconds to scan; reads get LIMIT seconds."""
    rng = random.Random(7)
    notes = "".join(rng.choice("abc") for _ in range(100_000))
    for i in range(10):
        run_create(world.public, f"r{i}", notes=notes, group="g")
    settings.CAIRN_QUERY_TIMEOUT = LIMIT
    return world


def _timeout_message(limit: float) -> str:
    return (
        f"The query took longer than the time limit of {limit:g} s and was stopped; "
        "narrow the filter, or try again later."
    )


# Every read of the API that takes a filter, with what else it needs.
READS: list[tuple[str, dict[str, str]]] = [
    ("/runs/", {}),
    ("/table/rows", {}),
    ("/table/export.csv", {}),
    ("/table/groups", {"by": "group"}),
]


def api(world: World, path: str) -> str:
    return f"/api/v1/projects/acme/open{path}"


# --- The engine: RE2 (SQLite), PostgreSQL's own (PostgreSQL) -----------------------


def test_the_catastrophic_pattern_runs_in_linear_time(world: World) -> None:
    for n in range(24, 30):
        run_create(world.public, f"r{n}", name="a" * n)
    runs = Run.objects.filter(project=world.public)
    start = time.monotonic()
    assert not filter_runs(runs, CATASTROPHIC).exists()
    assert time.monotonic() - start < 1.0
    # The same engine still matches what it should.
    assert set(filter_runs(runs, 'name ~ "^(a|aa)*$"').values_list("run_id", flat=True)) == {
        f"r{n}" for n in range(24, 30)
    }
    assert set(filter_runs(runs, 'name !~ "^a{25,27}$"').values_list("run_id", flat=True)) == {
        "r24", "r28", "r29"
    }


@pytest.mark.parametrize(
    "pattern, reason",
    [
        (r"(a)\\1", r"invalid escape sequence: \1"),
        ("a(?=b)", "invalid perl operator: (?="),
        ("(?<=a)b", "invalid perl operator: (?<="),
        ("x{1000}y{1000}", "too large: 2004 instructions compiled, at most 500"),
    ],
    ids=["backreference", "lookahead", "lookbehind", "too large"],
)
def test_a_pattern_re2_refuses_is_a_400_naming_the_filter(world: World, pattern: str, reason: str) -> None:
    text = f'name ~ "{pattern}"'
    with pytest.raises(FilterError, match="invalid regular expression"):
        parse_filter(text)
    for path, params in READS:
        r = world.anonymous.client().get(api(world, path), {"filter": text, **params})
        assert r.status_code == 400, path
        assert r.json() == {"error": f"invalid regular expression ({reason}) at column 8", "field": "filter"}


def test_a_pattern_postgresql_refuses_is_a_400_on_postgresql_and_matches_on_sqlite(world: World) -> None:
    # RE2 reads named groups; PostgreSQL's engine does not.
    run_create(world.public, "r1", name="x")
    text = 'name ~ "(?P<n>x)"'
    for path, params in READS:
        r = world.anonymous.client().get(api(world, path), {"filter": text, **params})
        if connection.vendor == "postgresql":
            assert r.status_code == 400, path
            assert r.json()["field"] == "filter"
            assert r.json()["error"].startswith("invalid regular expression (invalid embedded option)")
        else:
            assert r.status_code == 200, path


# --- The time limit -----------------------------------------------------------------


@pytest.mark.parametrize("path, params", READS, ids=[p for p, _ in READS])
def test_a_read_past_the_time_limit_answers_503(slow: World, path: str, params: dict[str, str]) -> None:
    start = time.monotonic()
    r = slow.anonymous.client().get(api(slow, path), {"filter": SLOW, **params})
    assert time.monotonic() - start < LIMIT + 1.0
    assert r.status_code == 503
    assert r.json() == {"error": _timeout_message(LIMIT)}


def test_the_project_page_shows_no_rows_under_a_filter_past_the_limit_and_says_why(slow: World, client: Any) -> None:
    r = client.get("/acme/open/", {"filter": SLOW})
    assert r.status_code == 200
    html = r.content.decode()
    data = json.loads(re.search(r'id="runs-table-data"[^>]*>(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert data["error"] == {"error": _timeout_message(LIMIT), "field": "filter"}
    assert (data["page"]["count"], data["page"]["results"]) == (0, [])  # no rows read as its answer


def test_a_report_run_set_past_the_time_limit_answers_503(slow: World) -> None:
    report = report_make(slow, project="open", blocks=[line_block("c1", filter=SLOW)])
    r = slow.owner.client().get(f"/api/v1/reports/{report['id']}/panels/c1/data")
    assert r.status_code == 503
    assert r.json() == {"error": _timeout_message(LIMIT)}


def test_the_limit_holds_requests_only_never_workers(slow: World) -> None:
    # What a Celery task or a shell does: the same query, outside any request,
    # runs to its end however long it takes.
    start = time.monotonic()
    assert list(filter_runs(Run.objects.filter(project=slow.public), SLOW)) == []
    assert time.monotonic() - start > LIMIT


def test_a_quick_read_is_not_held_up(slow: World) -> None:
    r = slow.anonymous.client().get(api(slow, "/runs/"), {"filter": 'notes ~ "^abc" or group = "g"'})
    assert r.status_code == 200
    assert r.json()["count"] == 10
