"""From the history row that crosses a threshold reaching the server to the webhook arriving.

    .venv/bin/python bench/alerts_bench.py [--n 40] [--redis redis://127.0.0.1:6379/15]

Starts a real Cairn server (gunicorn + a Celery worker, as `make run` does) and a
local HTTP receiver; each of `n` runs logs a batch whose last row crosses a
`loss > 5` rule, and the time from sending that batch to the receiver's
request is taken. Embedded first (SQLite, the filesystem broker), then with
Redis as the broker when `--redis` is given (PostgreSQL too with DATABASE_URL).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.alerts.receiver import Receiver  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def latencies(env: dict[str, str], n: int) -> list[float]:
    receiver = Receiver().start()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp), extra_env={"CAIRN_ALERT_WEBHOOK_ALLOW": "127.0.0.1/32", **env})
        server.start()
        try:
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {server.api_key}"
            api = f"{server.url}/api/v1"
            p = f"{api}/projects/local/alerts"
            s.put(f"{p}/runs/setup").raise_for_status()
            s.post(f"{p}/runs/setup/finish", json={"exit_code": 0}).raise_for_status()
            hook = s.post(f"{api}/orgs/local/alert-channels", json={"name": "bench", "kind": "webhook", "url": receiver.url})
            hook.raise_for_status()
            s.post(f"{p}/alert-rules", json={"kind": "metric", "condition": "loss > 5", "channels": [hook.json()["id"]], "max_per_hour": 10000}).raise_for_status()
            time.sleep(6)  # the rule cache of every web process has expired (CAIRN_ALERT_RULE_CACHE_SECONDS)
            out = []
            for i in range(n + 2):
                run = f"{p}/runs/b{i}"
                s.put(run).raise_for_status()
                records = [{"step": k, "time": 1.7e9 + k, "data": {"loss": 1.0 + (10.0 if k == 99 else 0.0)}} for k in range(100)]
                t0 = time.monotonic()
                s.post(f"{run}/streams/history", json={"offset": 0, "records": records}).raise_for_status()
                got = receiver.wait(i + 1, timeout=30)
                assert len(got) == i + 1, f"delivery {i} did not arrive\n{server.log_tail()}"
                if i >= 2:  # the first two warm the worker
                    out.append(got[i].at - t0)
                time.sleep(0.2)
            return out
        finally:
            server.cleanup()
            receiver.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--redis", default="", help="a Redis URL: also measure with Redis as the broker")
    args = ap.parse_args()
    setups: dict[str, dict[str, str]] = {"embedded (SQLite, filesystem broker)": {"DATABASE_URL": ""}}
    if args.redis:
        setups["Redis broker + worker" + (" (PostgreSQL)" if os.environ.get("DATABASE_URL") else "")] = {
            "CELERY_BROKER_URL": args.redis, "CAIRN_BROKER_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:",
        }
    results: dict[str, Any] = {}
    for name, env in setups.items():
        saved = os.environ.pop("DATABASE_URL", None) if env.get("DATABASE_URL") == "" else None
        env = {k: v for k, v in env.items() if v}
        try:
            xs = latencies(env, args.n)
        finally:
            if saved is not None:
                os.environ["DATABASE_URL"] = saved
        results[name] = {"n": len(xs), "p50_s": statistics.median(xs), "p95_s": p95(xs), "max_s": max(xs)}
    print(json.dumps(results, indent=2))
    for name, r in results.items():
        print(f"{name}: threshold row to webhook p50 {r['p50_s']:.3f} s, p95 {r['p95_s']:.3f} s, "
              f"max {r['max_s']:.3f} s over {r['n']} (floor p95 ≤ 2 s)")


if __name__ == "__main__":
    main()
