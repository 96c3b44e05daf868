"""PostgreSQL connections held by the documented web settings in a burst, without and with the pool.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/db_pool_bench.py \
        [--hosts 2] [--workers 4] [--threads 8] [--pool 4] [--clients 64] [--seconds 8]

Two "hosts" (two `cairn-server web --workers 4 --threads 8`, docs/deploy.md)
on one fresh database; 64 client threads for 8 s, each logging history to a
run of its own and reading it back, as agents and browsers do. Meanwhile
`pg_stat_activity` is sampled every 0.1 s: the most connections the
database held for this database, and how many remain once the burst is over.
Then the same with `CAIRN_DB_POOL_MAX` set (psycopg's pool, webapp/dbpool.py).
The peer is the server without the pool, in the same run.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _admin(base: str, sql: str) -> None:
    with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as con:
        con.execute(sql)


def _held(url: str, name: str) -> int:
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as con:
        row = con.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]).fetchone()
    return int(row[0]) if row else 0


def _round(args: argparse.Namespace, base: str, pool: int) -> dict[str, Any]:
    name = f"cairn_pool_{uuid.uuid4().hex[:8]}"
    _admin(base, f"CREATE DATABASE {name}")
    url = base.rsplit("/", 1)[0] + "/" + name
    folder = Path(tempfile.mkdtemp(prefix="cairn-pool-"))
    env = {**os.environ, "DATABASE_URL": url, "CAIRN_SECRET_KEY": "bench-secret", "CAIRN_DATA_DIR": str(folder),
           "PYTHONPATH": str(ROOT), "CAIRN_TASKS_EAGER": "false", "CELERY_BROKER_URL": "memory://",
           "CAIRN_DB_POOL_MAX": str(pool), "CAIRN_LOG_LEVEL": "ERROR"}
    cli = [sys.executable, "-m", "webapp"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
        made = subprocess.run([*cli, "manage", "cairn_user", "bench", "--password", "bench-password-1234",
                               "--org", "bench", "--role", "admin", "--api-key"],
                              env=env, check=True, capture_output=True, text=True).stdout
        key = made.split("api key:")[1].split()[0]
        ports = [_port() for _ in range(args.hosts)]
        for port in ports:
            procs.append(subprocess.Popen(
                [*cli, "web", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                 "--threads", str(args.threads), "--access-logfile", "/dev/null"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        for port in ports:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, "web did not start"
                time.sleep(0.2)
        idle_before = _held(base, name)
        done = threading.Event()
        ready = threading.Barrier(args.clients + 1)
        counts = {"ok": 0, "failed": 0}
        lock = threading.Lock()

        def client(i: int) -> None:
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {key}"
            run = f"http://127.0.0.1:{ports[i % len(ports)]}/api/v1/projects/bench/p/runs/r{i}"
            try:
                made = s.put(run, json={}, timeout=120).status_code in (200, 201)  # before the clock
            except requests.RequestException:
                made = False
            ready.wait()
            if not made:
                with lock:
                    counts["failed"] += 1
                return
            offset = 0
            while not done.is_set():
                body = {"offset": offset, "records": [{"step": offset + j, "time": 1.0, "data": {"loss": 0.5}}
                                                      for j in range(10)]}
                try:
                    ok = s.post(f"{run}/streams/history", json=body, timeout=60).status_code == 200
                    ok = ok and s.get(run, timeout=60).status_code == 200
                except requests.RequestException:
                    ok = False
                offset += 10
                with lock:
                    counts["ok" if ok else "failed"] += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        ready.wait()
        peak = 0
        started = time.monotonic()
        while time.monotonic() - started < args.seconds:
            peak = max(peak, _held(base, name))
            time.sleep(0.1)
        done.set()
        while any(t.is_alive() for t in threads):  # the last requests still hold theirs
            peak = max(peak, _held(base, name))
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        time.sleep(2)
        return {"peak": peak, "idle_before": idle_before, "after": _held(base, name),
                "requests_per_s": 2 * counts["ok"] / elapsed, "failed": counts["failed"]}
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)
        _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--hosts", type=int, default=2)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--pool", type=int, default=4, help="CAIRN_DB_POOL_MAX of the pooled round")
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=8.0)
    args = ap.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        print("set DATABASE_URL to a PostgreSQL server (any database; the bench makes its own)")
        return 2
    plain = _round(args, base, 0)
    pooled = _round(args, base, args.pool)
    print(f"{args.hosts} hosts x `cairn-server web --workers {args.workers} --threads {args.threads}`, "
          f"{args.clients} clients for {args.seconds:.0f} s (a history append and a run read each)")
    print(f"{'':38}{'no pool':>10}{f'pool {args.pool}':>10}{'ratio':>8}")
    for label, field in (("PostgreSQL connections, peak", "peak"), ("connections after the burst", "after"),
                         ("requests/s", "requests_per_s"), ("failed requests", "failed")):
        a, b = plain[field], pooled[field]
        ratio = f"{a / b:.2f}x" if b else "-"
        print(f"{label:38}{a:>10.0f}{b:>10.0f}{ratio:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
