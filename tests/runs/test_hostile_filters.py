"""Hostile regular expressions in the filter language.

In-process, on SQLite or PostgreSQL (whichever DATABASE_URL names).
"""

from __future__ import annotations

import time

import pytest
from django.db import connection

from apps.runs.models import Run
from apps.runs.query import FilterError, filter_runs, parse_filter
from tests.factories import World, run_create, world_create

pytestmark = pytest.mark.django_db

CATASTROPHIC = 'name ~ "(.|.)*!"'  # 42 s per 28-character name in Python's `re`


@pytest.fixture
def world() -> World:
    return world_create()


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
