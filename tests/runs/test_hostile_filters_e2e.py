"""A hostile filter against a real server (gunicorn as `make run` runs it): it
neither stalls other users nor holds its own worker past the time limit.

On SQLite or PostgreSQL, whichever DATABASE_URL names.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server

TIME_LIMIT = 1.0  # CAIRN_QUERY_TIMEOUT of this server, seconds
# Backtracks catastrophically in Python's `re`: 11 s against 26 characters, 42 s against 28.
CATASTROPHIC = 'name ~ "(.|.)*!"'
# Linear in RE2 and in PostgreSQL's engine, but 0.2 to 0.4 s per 100,000-character
# note on either: many such notes make a query too slow to finish in time.
SLOW = 'notes ~ "(a[abc]{160}d|b[abc]{160}d|c[abc]{160}d)"'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = ServerProcess(
        tmp_path_factory.mktemp("hostile-filters"),
        extra_env={"CAIRN_QUERY_TIMEOUT": str(TIME_LIMIT)},
    )
    try:
        s.start()
    except Exception as e:
        raise RuntimeError(f"{e}\n{s.log_tail()}") from e
    yield s
    s.cleanup()


def _owner(server: ServerProcess) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    return s


def _public_project(server: ServerProcess, slug: str, runs: dict[str, dict[str, Any]]) -> str:
    owner = _owner(server)
    base = f"{server.url}/api/v1/projects/local/{slug}"
    for run_id, fields in runs.items():
        assert owner.put(f"{base}/runs/{run_id}", json=fields).status_code == 201
    assert owner.patch(base, json={"visibility": "public"}).status_code == 200
    return base


def _while_in_flight(server: ServerProcess, url: str, params: dict[str, str]) -> tuple[requests.Response, float, list[float]]:
    """GET `url` anonymously; meanwhile time health again and again.

    Returns the answer, how long it took, and each health call's duration.
    """
    done: dict[str, Any] = {}

    def hostile() -> None:
        start = time.monotonic()
        try:
            done["response"] = requests.get(url, params=params, timeout=30)
        finally:
            done["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=hostile)
    thread.start()
    health: list[float] = []
    while thread.is_alive() or not health:
        start = time.monotonic()
        r = requests.get(f"{server.url}/api/v1/health", timeout=10)
        health.append(time.monotonic() - start)
        assert r.status_code == 200
        time.sleep(0.05)
    thread.join()
    return done["response"], done["seconds"], health


@pytest.fixture(scope="module")
def catastrophic(server: ServerProcess) -> str:
    """A public project whose run names are long enough to stall a backtracking engine."""
    return _public_project(
        server, "catastrophic", {f"r{n}": {"name": "a" * n, "group": "g"} for n in range(24, 30)}
    )


@pytest.mark.parametrize(
    "where, params",
    [
        ("runs/", {"filter": CATASTROPHIC}),
        ("table/rows", {"filter": CATASTROPHIC}),
        ("table/export.csv", {"filter": CATASTROPHIC}),
        ("table/groups", {"filter": CATASTROPHIC, "by": "group"}),
    ],
)
def test_it_answers_health_while_a_catastrophic_regex_is_asked(
    server: ServerProcess, catastrophic: str, where: str, params: dict[str, str]
) -> None:
    response, seconds, health = _while_in_flight(server, f"{catastrophic}/{where}", params)
    assert max(health) < 1.0, health
    assert seconds < 3.0
    # Linear time: the pattern simply matches nothing.
    assert response.status_code == 200, response.text
    if where == "runs/":
        assert response.json()["count"] == 0
    elif where == "table/rows":
        assert response.json()["results"] == []
    elif where == "table/export.csv":
        assert response.text.splitlines()[1:] == []
    else:
        assert response.json()["groups"] == []


def test_a_query_past_the_time_limit_answers_503_and_holds_no_one_up(server: ServerProcess) -> None:
    rng = random.Random(7)
    notes = "".join(rng.choice("abc") for _ in range(100_000))
    base = _public_project(server, "heavy", {f"r{i}": {"notes": notes} for i in range(30)})

    response, seconds, health = _while_in_flight(server, f"{base}/runs/", {"filter": SLOW})
    assert max(health) < 1.0, health
    assert response.status_code == 503, response.text
    assert response.json() == {
        "error": f"The query took longer than the time limit of {TIME_LIMIT:g} s and was stopped; "
        "narrow the filter, or try again later.",
    }
    assert seconds < TIME_LIMIT + 3.0

    # The worker is free again, and a quick filter on the same runs still answers.
    quick = requests.get(f"{base}/runs/", params={"filter": 'notes ~ "^abc"', "limit": "1"}, timeout=10)
    assert quick.status_code == 200


def test_a_regex_that_re2_refuses_answers_400_naming_the_filter(server: ServerProcess) -> None:
    base = _public_project(server, "refused", {"r1": {"name": "aa"}})
    r = requests.get(f"{base}/runs/", params={"filter": r'name ~ "(a)\\1"'}, timeout=10)
    assert r.status_code == 400
    assert r.json()["field"] == "filter"
    assert "invalid regular expression" in r.json()["error"]
