"""Many writers, one run: 64 processes append 10,000 steps each to one shared run.

    .venv/bin/python bench/distributed_bench.py [--writers 64] [--steps 10000]

Starts a real Cairn server (gunicorn + worker, as `make run` does) on a fresh
PostgreSQL database. Each writer is a process of its own that declares itself
(`PUT` with its writer), prepares its gzipped batches before the clock starts,
then sends them one at a time, as the agent's uploader does. Measured beside a
single writer sending the same number of points to a run of its own in the
same server, from the same run of this script; then every row of every writer
is checked to be stored exactly once.
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.serverproc import ServerProcess  # noqa: E402

PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KEYS_PER_ROW = 10
BATCH = 2_500  # what a writer's uploader sends when a fast training loop keeps it busy


def bodies(writer: str | None, key_prefix: str, steps: int) -> list[bytes]:
    out = []
    keys = [f"{key_prefix}/m{i}" for i in range(KEYS_PER_ROW)]
    for start in range(0, steps, BATCH):
        records = [
            {"step": s, "time": 1.7e9 + s * 0.01, "data": {k: 1.0 / (s + 1) + i for i, k in enumerate(keys)}}
            for s in range(start, min(steps, start + BATCH))
        ]
        body: dict[str, Any] = {"offset": start, "records": records}
        if writer is not None:
            body["writer"] = writer
        out.append(gzip.compress(orjson.dumps(body), compresslevel=1))
    return out


def writer_process(url: str, key: str, rank: int | None, steps: int, barrier: Any, done: Any) -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {key}"
    writer = f"rank-{rank}" if rank is not None else None
    declared: dict[str, Any] = {"config": {"bench": True}}
    if writer is not None:
        declared["writer"] = {"id": writer, "label": writer, "shared": True, "primary": rank == 0, "host": "bench"}
    s.put(url, json=declared).raise_for_status()
    prepared = bodies(writer, writer or "single", steps)
    barrier.wait()
    server_ms = []
    for body in prepared:
        for attempt in range(10):
            # As the agent's uploader does: a dropped connection is retried, and
            # the server stores a batch sent twice once.
            try:
                r = s.post(f"{url}/streams/history", data=body,
                           headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}, timeout=120)
                break
            except requests.ConnectionError:
                time.sleep(0.1 * (attempt + 1))
        r.raise_for_status()
        server_ms.append(float(r.headers["Server-Timing"].split("dur=")[1]))
    done.put((time.perf_counter(), server_ms))


def timed_writers(url: str, key: str, ranks: list[int | None], steps: int) -> tuple[float, float]:
    """Seconds from the moment every writer is ready to the last batch stored, and the
    server's own mean time per batch (its Server-Timing)."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(ranks) + 1)
    done = ctx.Queue()
    procs = [ctx.Process(target=writer_process, args=(url, key, r, steps, barrier, done)) for r in ranks]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.perf_counter()
    results = [done.get(timeout=900) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"a writer failed ({p.exitcode})")
    server_ms = [ms for _, batch in results for ms in batch]
    return max(end for end, _ in results) - t0, sum(server_ms) / len(server_ms)


def stored_exactly_once(db_url: str, run_id: str, writers: int, steps: int) -> bool:
    """Every writer's offsets 0..steps-1 are held by exactly one stored row."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            """
            SELECT w.writer_id, COALESCE(SUM(c.row_count), 0), COUNT(DISTINCT c.writer_offset), MIN(c.writer_offset),
                   MAX(c.writer_offset + c.row_count)
            FROM runs_runwriter w JOIN runs_run r ON r.id = w.run_id
            LEFT JOIN runs_historychunk c ON c.writer_id = w.id AND c.stream = 0
            WHERE r.run_id = %s GROUP BY w.writer_id
            """,
            (run_id,),
        ).fetchall()
        total = conn.execute("SELECT history_offset FROM runs_run WHERE run_id = %s", (run_id,)).fetchone()
    ok = len(rows) == writers and all(r[1] == steps and r[3] == 0 and r[4] == steps for r in rows)
    return ok and total is not None and total[0] == writers * steps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--writers", type=int, default=64)
    ap.add_argument("--steps", type=int, default=10_000)
    args = ap.parse_args()
    os.environ["DATABASE_URL"] = PG
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp), extra_env={"CAIRN_WEB_WORKERS": "2"})
        server.start()
        try:
            base = f"{server.url}/api/v1/projects/local/distributed/runs"
            points = args.writers * args.steps * KEYS_PER_ROW
            # One writer with all the points, then the many writers, on the same server.
            single_s, single_ms = timed_writers(f"{base}/single", server.api_key, [None], args.writers * args.steps)
            shared_s, shared_ms = timed_writers(f"{base}/shared", server.api_key, list(range(args.writers)), args.steps)
            exact = stored_exactly_once(server.env["DATABASE_URL"], "shared", args.writers, args.steps)
        finally:
            server.cleanup()
    single, shared = points / single_s, points / shared_s
    print(f"\n| measure | {args.writers} writers, one shared run | 1 writer, same points | ratio | floor |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| Ingest, {args.writers} × {args.steps:,} steps × {KEYS_PER_ROW} scalars over HTTP, "
          f"batches of {BATCH:,}, gzip (points/s) | {shared:,.0f} | {single:,.0f} | {shared / single:.2f}× | ≥ 300,000 |")
    print(f"| Server time per batch of {BATCH:,} rows, waits for the run's lock included (ms) | {shared_ms:.1f} | "
          f"{single_ms:.1f} | — | — |")
    print(f"| Every row of every writer stored exactly once | {'yes' if exact else 'NO'} | — | — | yes |")
    if not exact:
        sys.exit(1)


if __name__ == "__main__":
    main()
