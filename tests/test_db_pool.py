"""PostgreSQL connection pooling (CAIRN_DB_POOL_MAX): connections are shared, and come back clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from tests.ci import unavailable
from tests.serverproc import ROOT

# Run in a process of its own: the pool is made from the settings at start.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
from apps.core.db import _pg_statement_timeout

def session():
    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid(), current_setting('statement_timeout')")
        return c.fetchone()

if connection.pool is not None:
    # The pool opens its first connection in the background; a request that came before it
    # was ready would make the pool grow by one more, and the next request might get either.
    connection.pool.open(wait=True, timeout=30)
_pg_statement_timeout(5000)        # what a read request does
first = session()
connection.close()                 # the request ends: back to the pool
second = session()                 # the next request, maybe a write
print(json.dumps({"conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
                  "pool": {k: v for k, v in settings.DATABASES["default"]["OPTIONS"].get("pool", {}).items()
                           if k != "reset"},
                  "first": first, "second": second}))
"""


@pytest.fixture
def pg_url() -> Iterator[str]:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        unavailable("DATABASE_URL is not PostgreSQL")
    import psycopg

    name = f"cairn_pool_{uuid.uuid4().hex[:8]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    yield base.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _probe(url: str, pool: str) -> dict[str, object]:
    env = {**os.environ, "DATABASE_URL": url, "CAIRN_DB_POOL_MAX": pool, "CAIRN_SECRET_KEY": "test",
           "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "webapp.settings"}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-3000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_it_shares_one_connection_and_resets_its_statement_timeout(pg_url: str) -> None:
    got = _probe(pg_url, "2")
    assert got["conn_max_age"] == 0
    assert got["pool"] == {"min_size": 1, "max_size": 2, "timeout": 30.0}
    (pid1, timeout1), (pid2, timeout2) = got["first"], got["second"]  # type: ignore[misc]
    assert timeout1 == "5s"
    assert pid2 == pid1  # the same session, from the pool
    assert timeout2 == "0"  # without the read's limit


def test_without_the_setting_each_thread_keeps_its_own_connection(pg_url: str) -> None:
    got = _probe(pg_url, "0")
    assert got["conn_max_age"] == 60 and got["pool"] == {}
    (pid1, _), (pid2, timeout2) = got["first"], got["second"]  # type: ignore[misc]
    assert pid2 != pid1  # closed: a new session
    assert timeout2 == "0"
