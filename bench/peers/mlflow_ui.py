"""An MLflow server on PostgreSQL with 20 runs of one metric, for bench/web_bench.py.

    bench/.venv-peers/bin/python bench/peers/mlflow_ui.py --runs 20 --steps 10000

Starts `mlflow server` (bench/peers/mlflow_server.py's MlflowServer), logs
`--steps` steps of `loss` into each of `--runs` runs with MlflowClient.log_batch
(1000 metrics a call, runs logged in parallel), prints one JSON line
{"url", "experiment_id", "run_ids", "seed_s", "points"} on stdout, then serves
until stdin closes; then it stops the server and drops its database.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import apply_quiet_env, emit, log  # noqa: E402
from mlflow_server import MlflowServer, _log_steps, client  # noqa: E402


def main() -> int:
    apply_quiet_env()
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/cairn_bench_mlflow_ui")
    args = ap.parse_args()
    # No job runner: its 8 processes would only compete with the browser for CPU.
    with MlflowServer(db_url=args.db, jobs=False) as srv:
        c = client(srv)
        t0 = time.perf_counter()
        # MLflow prints "View run ..." lines on stdout: keep them off our JSON line.
        with contextlib.redirect_stdout(sys.stderr):
            exp = c.create_experiment("web-bench")
            ids = [c.create_run(exp, run_name=f"run-{i}").info.run_id for i in range(args.runs)]
            log(f"logging {args.runs} x {args.steps} steps")
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda i: _log_steps(c, ids[i], ["loss"], args.steps, seed=i), range(args.runs)))
            for run_id in ids:
                c.set_terminated(run_id)
        emit({"url": srv.url, "experiment_id": exp, "run_ids": ids,
              "seed_s": round(time.perf_counter() - t0, 1), "points": args.runs * args.steps})
        sys.stdin.read()  # serve until the bench closes our stdin
    return 0


if __name__ == "__main__":
    sys.exit(main())
