"""Server foundation benchmarks, Cairn beside MLflow, from one run.

    .venv/bin/python bench/server_bench.py [--steps 1000000] [--no-peers]

Starts a real Cairn server (gunicorn + worker, as `make run` does) on a fresh
PostgreSQL database, measures it over HTTP, then runs MLflow's figures with
bench/peers/mlflow_server.py in the peers' own environment
(bench/setup-peers.sh), and prints both side by side with their ratio.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import psutil
import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.serverproc import ServerProcess  # noqa: E402

PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BATCH = 10_000  # what docs/protocol.md recommends
KEYS = [f"m{i}" for i in range(10)]


def session(server: ServerProcess) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    return s


def ingest(s: requests.Session, url: str, steps: int, keys: list[str], server_times: list[float] | None = None) -> float:
    """Points/s through the HTTP API, client serialisation and gzip included.

    Like the agent's uploader, the client prepares the next batch while the
    server stores the current one; batches are still sent one at a time.
    """
    rng = np.random.default_rng(0)
    s.put(url, json={"config": {"bench": True}}).raise_for_status()

    def bodies() -> Iterator[bytes]:
        for start in range(0, steps, BATCH):
            n = min(BATCH, steps - start)
            values = (1.0 / (1 + np.arange(start, start + n)))[:, None] + rng.normal(0, 0.01, (n, len(keys)))
            rows = values.tolist()
            records = [
                {"step": start + i, "time": 1.7e9 + (start + i) * 0.01, "data": dict(zip(keys, rows[i]))}
                for i in range(n)
            ]
            yield gzip.compress(orjson.dumps({"offset": start, "records": records}), compresslevel=1)

    ready: queue.Queue[bytes | None] = queue.Queue(maxsize=2)

    def produce() -> None:
        for body in bodies():
            ready.put(body)
        ready.put(None)

    t0 = time.perf_counter()
    threading.Thread(target=produce, daemon=True).start()
    while (body := ready.get()) is not None:
        r = s.post(f"{url}/streams/history", data=body,
                   headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
        r.raise_for_status()
        if server_times is not None:
            server_times.append(server_ms(r))
    return steps * len(keys) / (time.perf_counter() - t0)


def alert_rules_overhead(server: ServerProcess, steps: int, rounds: int = 5) -> dict[str, float]:
    """Ingest into a project with no alert rules, and into one with 100 threshold rules, interleaved.

    The rules name the keys logged (`m0 > 1e9` ... `m9 > ...`), so every batch is checked
    against all of them and none fires: the check's whole cost, and nothing else.
    """
    s = session(server)
    api = f"{server.url}/api/v1/projects/local"
    s.put(f"{api}/rules100/runs/setup").raise_for_status()
    for i in range(100):
        rule = {"kind": "metric", "condition": f"{KEYS[i % len(KEYS)]} > {1e9 + i}"}
        s.post(f"{api}/rules100/alert-rules", json=rule).raise_for_status()
    rates: dict[str, list[float]] = {"none": [], "rules100": []}
    batch_ms: dict[str, list[float]] = {"none": [], "rules100": []}  # the server's own time per batch
    for r in range(rounds):
        for project in ("none", "rules100") if r % 2 == 0 else ("rules100", "none"):
            rates[project].append(ingest(s, f"{api}/{project}/runs/r{r}", steps, KEYS, batch_ms[project]))
    none, with_rules = statistics.median(rates["none"]), statistics.median(rates["rules100"])
    ms_none, ms_rules = (statistics.median(batch_ms[k]) * 1e3 for k in ("none", "rules100"))
    return {"no_rules_points_per_s": none, "rules100_points_per_s": with_rules,
            "slower_pct": 100 * (1 - with_rules / none), "batch_server_ms_none": ms_none,
            "batch_server_ms_rules100": ms_rules, "batch_slower_pct": 100 * (ms_rules / ms_none - 1),
            "check_ms_per_batch": threshold_check_ms()}


def threshold_check_ms() -> float:
    """The check alone, in this process: 100 conditions over one batch of BATCH rows of the 10 keys."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    os.environ.setdefault("CAIRN_SECRET_KEY", "bench")
    from apps.alerts.conditions import condition_parse

    rules = [condition_parse(f"{KEYS[i % len(KEYS)]} > {1e9 + i}") for i in range(100)]
    steps = np.arange(BATCH, dtype=np.int64)
    numeric = {k: (steps, np.random.default_rng(0).normal(0, 1, BATCH)) for k in KEYS}

    def check() -> None:
        for rule in rules:
            column = numeric.get(rule.key)
            if column is not None:
                rule.first_match(column[1])
    return timed(check, 21) * 1e3


def timed(fn: Any, repeat: int = 7) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def server_ms(r: requests.Response) -> float:
    """The server's own time for a request, from its Server-Timing header."""
    return float(r.headers["Server-Timing"].split("dur=")[1]) / 1000


def timed_server(fn: Any, repeat: int = 15) -> tuple[float, float]:
    """Median (round trip, server time) of a request function returning its response."""
    fn()
    trips, servers = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = fn()
        trips.append(time.perf_counter() - t0)
        servers.append(server_ms(r))
    return statistics.median(trips), statistics.median(servers)


def sampled_read(s: requests.Session, url: str) -> tuple[float, float]:
    def go() -> requests.Response:
        r = s.get(f"{url}/history", params={"keys": "m0", "samples": 1000})
        r.raise_for_status()
        assert len(r.json()["series"]["m0"]["steps"]) <= 1000
        return r
    return timed_server(go)


def export_rate(s: requests.Session, url: str, keys: str, points: int) -> float:
    def go() -> None:
        with s.get(f"{url}/history/export", params={"keys": keys}, stream=True) as r:
            r.raise_for_status()
            for _ in r.iter_content(1 << 20):
                pass
    return points / timed(go, 3)


def seed_runs(db_url: str, n: int) -> None:
    """10,000 runs with 20 config keys and 20 summary metrics, straight into the DB."""
    rng = np.random.default_rng(1)
    with psycopg.connect(db_url) as conn:
        project_id = conn.execute(
            "SELECT p.id FROM runs_project p JOIN orgs_organization o ON o.id = p.organization_id "
            "WHERE o.slug = 'local' AND p.slug = 'ingest'"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO runs_project (organization_id, slug, name, description, visibility, created_at) "
            "SELECT organization_id, 'many', 'many', '', 'private', now() FROM runs_project WHERE id = %s",
            (project_id,),
        )
        many = conn.execute("SELECT id FROM runs_project WHERE slug = 'many'").fetchone()[0]
        with conn.cursor().copy(
            "COPY runs_run (project_id, run_id, name, state, created_at, runtime, tags, notes, \"group\", job_type,"
            " config, summary, summary_pinned, system, history_offset, system_offset, console_offset) FROM STDIN"
        ) as copy:
            for i in range(n):
                config = {f"c{j}": float(rng.integers(0, 10)) for j in range(18)}
                config["optimizer"] = ["adam", "sgd", "lion"][i % 3]
                config["lr"] = float(10 ** -rng.uniform(2, 5))
                summary = {f"s{j}": float(rng.random()) for j in range(18)}
                summary["acc"] = float(rng.random())
                summary["val/loss"] = float(rng.random())
                copy.write_row((many, f"run{i}", f"run-{i}", "finished", "2026-11-30T00:00:00+00:00", 1.0, "[]", "", "", "",
                                json.dumps(config), json.dumps(summary), "[]", "{}", 0, 0, 0))
        conn.execute("ANALYZE runs_run")


def runs_query(s: requests.Session, base: str) -> tuple[float, float]:
    def go() -> requests.Response:
        r = s.get(f"{base}/api/v1/projects/local/many/runs/", params={
            "filter": 'config.optimizer = "adam" and summary.acc > 0.5', "order": "-summary.`val/loss`", "limit": 50})
        r.raise_for_status()
        assert len(r.json()["results"]) == 50
        return r
    return timed_server(go)


def storage_per_point(db_url: str, points: int) -> float:
    with psycopg.connect(db_url) as conn:
        size = conn.execute(
            "SELECT pg_total_relation_size('runs_historychunk') + pg_total_relation_size('runs_historyseries')"
        ).fetchone()[0]
    return size / points


def footprint() -> tuple[float, float]:
    """`make run`'s server: seconds to healthy, idle MB of web + worker together."""
    with tempfile.TemporaryDirectory() as tmp:
        env_db = os.environ.pop("DATABASE_URL", None)
        broker = os.environ.pop("CELERY_BROKER_URL", None)
        server = ServerProcess(Path(tmp))
        if env_db is not None:
            os.environ["DATABASE_URL"] = env_db
        if broker is not None:
            os.environ["CELERY_BROKER_URL"] = broker
        server.start()  # first start: migrations and the local account
        server.stop()
        t0 = time.perf_counter()
        server.start()
        ready = time.perf_counter() - t0
        time.sleep(10)
        assert server.proc is not None
        parent = psutil.Process(server.proc.pid)
        rss = sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])
        server.stop()
    return ready, rss / 1e6


def peers(steps_hint: int) -> dict[str, Any]:
    py = ROOT / "bench" / ".venv-peers" / "bin" / "python"
    if not py.exists():
        return {"error": "bench/.venv-peers missing: run bench/setup-peers.sh"}
    out = subprocess.run([str(py), str(ROOT / "bench" / "peers" / "mlflow_server.py"), "all"],
                         capture_output=True, text=True, timeout=1200)
    if out.returncode != 0:
        return {"error": out.stderr[-2000:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--long-steps", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--alerts-only", action="store_true", help="only ingest with and without 100 alert rules")
    args = ap.parse_args()
    if args.alerts_only:
        os.environ["DATABASE_URL"] = PG
        with tempfile.TemporaryDirectory() as tmp:
            server = ServerProcess(Path(tmp), extra_env={"CAIRN_WEB_WORKERS": "2"})
            server.start()
            try:
                out = alert_rules_overhead(server, min(args.steps, 200_000), rounds=9)
            finally:
                server.cleanup()
        print(json.dumps(out, indent=2))
        print(f"Ingest with 100 threshold rules: {out['rules100_points_per_s']:,.0f} points/s beside "
              f"{out['no_rules_points_per_s']:,.0f} with none: {out['slower_pct']:+.1f}% slower (floor ≤ 5%); "
              f"the check itself {out['check_ms_per_batch']:.2f} ms per batch of {BATCH} rows")
        print(f"Server time per batch (median): {out['batch_server_ms_rules100']:.1f} ms with the rules, "
              f"{out['batch_server_ms_none']:.1f} ms without: {out['batch_slower_pct']:+.1f}%")
        return

    os.environ["DATABASE_URL"] = PG
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp), extra_env={"CAIRN_WEB_WORKERS": "2"})
        try:
            server.start()
        except RuntimeError:
            print(server.log_tail(), file=sys.stderr)
            raise
        db_url = server.env["DATABASE_URL"]
        try:
            s = session(server)
            run = f"{server.url}/api/v1/projects/local/ingest/runs/million"
            results["ingest_points_per_s"] = ingest(s, run, args.steps, KEYS)
            results["storage_bytes_per_point"] = storage_per_point(db_url, args.steps * len(KEYS))
            results["sampled_read_s"], results["sampled_read_server_s"] = sampled_read(s, run)
            results["export_points_per_s"] = export_rate(s, run, ",".join(KEYS), args.steps * len(KEYS))
            small = f"{server.url}/api/v1/projects/local/ingest/runs/hundredk"
            ingest(s, small, 100_000, ["m0"])
            results["export_100k_s"] = 100_000 / export_rate(s, small, "m0", 100_000)
            long = f"{server.url}/api/v1/projects/local/ingest/runs/tenmillion"
            ingest(s, long, args.long_steps, ["m0"])
            results["sampled_read_long_s"], results["sampled_read_long_server_s"] = sampled_read(s, long)
            seed_runs(db_url, args.runs)
            results["runs_query_s"], results["runs_query_server_s"] = runs_query(s, server.url)
            results["alerts"] = alert_rules_overhead(server, 200_000)
        finally:
            server.cleanup()
    results["startup_s"], results["idle_mb"] = footprint()
    results["mlflow"] = {} if args.no_peers else peers(args.steps)
    print(json.dumps(results, indent=2))
    report(results)


def report(r: dict[str, Any]) -> None:
    m = r.get("mlflow", {})

    def ratio(a: float | None, b: float | None) -> str:
        return f"{a / b:.0f}×" if a and b else "n/a"

    rows = [
        ("Ingest, 1M steps × 10 scalars over HTTP (points/s)", f"{r['ingest_points_per_s']:,.0f}",
         f"{m.get('ingest_points_per_s', 0):,.0f}", ratio(r["ingest_points_per_s"], m.get("ingest_points_per_s")), "≥ 300,000 and ≥ 50×"),
        ("Sampled read, 1 metric of the 1M run: server time (round trip) (ms)",
         f"{r['sampled_read_server_s'] * 1e3:.1f} ({r['sampled_read_s'] * 1e3:.1f})", "—", "—", "≤ 30 ms"),
        ("Sampled read, 1 metric of a 10M run: server time (round trip) (ms)",
         f"{r['sampled_read_long_server_s'] * 1e3:.1f} ({r['sampled_read_long_s'] * 1e3:.1f})", "—",
         f"{r['sampled_read_long_server_s'] / r['sampled_read_server_s']:.2f}× the 1M read", "≤ 1.5×"),
        ("Full export (points/s)", f"{r['export_points_per_s']:,.0f}", "—", "—", "≥ 2,000,000"),
        ("History of a 100,000-point metric (s)", f"{r['export_100k_s']:.3f}", f"{m.get('history_s', 0):.2f}",
         ratio(m.get("history_s"), r["export_100k_s"]), "≥ 100×"),
        ("Runs query, 10,000 runs, filter + sort + page of 50: server time (round trip) (ms)",
         f"{r['runs_query_server_s'] * 1e3:.1f} ({r['runs_query_s'] * 1e3:.1f})",
         f"{m.get('search_s', 0) * 1e3:.0f} (1,000 runs)", ratio(m.get("search_s"), r["runs_query_s"]), "≤ 50 ms"),
        ("Storage per scalar point, indexes included (bytes)", f"{r['storage_bytes_per_point']:.2f}",
         f"{m.get('storage_bytes_per_point', 0):.1f}", ratio(m.get("storage_bytes_per_point"), r["storage_bytes_per_point"]), "≤ 16"),
        ("Ingest with 100 alert threshold rules, slower than with none (%)", f"{r['alerts']['slower_pct']:+.1f}",
         "—", "—", "≤ 5%"),
        ("Server healthy after start (s)", f"{r['startup_s']:.2f}", f"{m.get('startup_s', 0):.1f}",
         ratio(m.get("startup_s"), r["startup_s"]), "≤ 5 s"),
        ("Server idle memory, web + tasks (MB)", f"{r['idle_mb']:.0f}", f"{(m.get('idle_rss_bytes') or 0) / 1e6:.0f}",
         ratio((m.get("idle_rss_bytes") or 0) / 1e6, r["idle_mb"]), "≤ 300 MB"),
    ]
    print("\n| measure | Cairn | MLflow | ratio | floor |\n| --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
