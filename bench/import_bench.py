"""Importing an MLflow run: `cairn import mlflow` end to end, beside MLflow's own read of the same data.

    make .venv-importers/.ok
    .venv-importers/bin/python bench/import_bench.py [--steps 10000] [--metrics 20]

An `mlflow server` (SQLite, or PostgreSQL when DATABASE_URL is one) holds one
run of `--steps` steps × `--metrics` metrics, logged with `log_batch`. Each
of the two figures below is taken twice: through the server (`--tracking-uri
http://...`, MLflow's REST API) and from its database directly
(`--tracking-uri sqlite:///...` or `postgresql://...`, which MLflow's client
and `cairn import mlflow` both take). From one run:

1. MLflow's read: `MlflowClient.get_metric_history` for every metric, one
   after the other (what a user of MLflow's client does to read a run back).
2. Cairn's import: `cairn import mlflow`'s code (`import_mlflow`), in this
   process, from that server into a real Cairn server (gunicorn, as `make
   run` starts it): the same reads (several at once), the history written to
   the staging spool, uploaded in gzip batches of 10,000 rows, the run
   finished. Floor: ≥ 50,000 points/s.

Both print points per second; the ratio is Cairn's import over MLflow's read
alone (the import includes that read, so it cannot pass 1 by much unless
its parallel reads win).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.importers.mlflowserver import MlflowServer  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

FLOOR = 50_000


def log_run(uri: str, steps: int, metrics: int) -> str:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("import-bench")
    run = client.create_run(experiment, run_name="big")
    now = int(time.time() * 1000)
    batch: list[Metric] = []
    for step in range(steps):
        for m in range(metrics):
            batch.append(Metric(f"m{m:02d}", step * 0.001 + m, now + step, step))
        if len(batch) >= 1000:  # MLflow's limit per log_batch
            client.log_batch(run.info.run_id, metrics=batch)
            batch = []
    if batch:
        client.log_batch(run.info.run_id, metrics=batch)
    client.set_terminated(run.info.run_id)
    return str(run.info.run_id)


def mlflow_read(uri: str, run_id: str, metrics: int) -> tuple[float, int]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    t0 = time.perf_counter()
    points = sum(len(client.get_metric_history(run_id, f"m{m:02d}")) for m in range(metrics))
    return time.perf_counter() - t0, points


def cairn_import(uri: str, server: ServerProcess, staging: str, project: str) -> float:
    from agent._importers._mlflow import import_mlflow
    from agent._importers._target import Destination

    dest = Destination(base_url=server.url, api_key=server.api_key, org=server.org, root=staging)
    t0 = time.perf_counter()
    failed = import_mlflow(dest, uri, experiment="import-bench", project=project, say=lambda m: None)
    elapsed = time.perf_counter() - t0
    assert failed == 0, "the import failed"
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--metrics", type=int, default=20)
    args = ap.parse_args()
    db = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    with tempfile.TemporaryDirectory(prefix="cairn-import-bench-") as tmp:
        base = Path(tmp)
        (base / "mlflow").mkdir()
        mlflow = MlflowServer(sys.executable, base / "mlflow")
        server = ServerProcess(base / "cairn")
        try:
            server.start()
            mlflow.wait()
            t0 = time.perf_counter()
            run_id = log_run(mlflow.backend, args.steps, args.metrics)
            points = args.steps * args.metrics
            print(f"import bench: {db}, {os.cpu_count()} CPUs; one MLflow run of {args.steps:,} steps × "
                  f"{args.metrics} metrics = {points:,} points (logged in {time.perf_counter() - t0:.1f} s)")
            import requests

            for how, uri, project in (("the server's REST API", mlflow.url, "via-server"),
                                      ("its database directly", mlflow.backend, "via-db")):
                read_s, read_points = mlflow_read(uri, run_id, args.metrics)
                assert read_points == points, (read_points, points)
                import_s = cairn_import(uri, server, str(base / "staging"), project)
                stored = requests.get(
                    f"{server.url}/api/v1/projects/{server.org}/{project}/runs/{run_id}",
                    headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30,
                ).json()
                assert stored["streams"]["history"] == args.steps and stored["state"] == "finished", stored
                ours, theirs = points / import_s, points / read_s
                print(f"through {how}:")
                print(f"  MLflow get_metric_history, every metric in turn: {read_s:.2f} s, {theirs:,.0f} points/s")
                print(f"  cairn import mlflow, end to end (read, spool, upload, finish): {import_s:.2f} s, "
                      f"{ours:,.0f} points/s ({ours / theirs:.2f}× MLflow's read alone; floor ≥ {FLOOR:,} "
                      f"points/s: {'met' if ours >= FLOOR else 'NOT met'})")
        finally:
            mlflow.stop()
            server.cleanup()


if __name__ == "__main__":
    main()
