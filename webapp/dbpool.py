"""PostgreSQL connection pooling (psycopg's pool, through Django's `OPTIONS["pool"]`).

Without a pool every thread of every web process keeps its own connection
(`CAIRN_DB_CONN_MAX_AGE`): `--workers 4 --threads 8` holds up to 32 per host.
With `CAIRN_DB_POOL_MAX=N` each process shares N connections among its threads,
and a request holds one only while it runs (docs/deploy.md, docs/capacity.md).
"""

from __future__ import annotations

from typing import Any


def session_reset(conn: Any) -> None:
    """On a connection's return to the pool: the next request gets the server's defaults.

    A read request sets `statement_timeout` for its session (apps/core/db.py);
    without this, a write that took the connection next would inherit it.
    """
    from psycopg import pq

    conn.execute("RESET statement_timeout")
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:  # not in autocommit: end what RESET began
        conn.commit()


def pool_options(*, max_size: int, min_size: int, timeout: float) -> dict[str, Any]:
    return {"min_size": min_size, "max_size": max_size, "timeout": timeout, "reset": session_reset}
