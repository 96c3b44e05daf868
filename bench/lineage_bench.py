"""Lineage query benchmark: an artifact version's lineage 5 levels deep over 10,000 versions.

    .venv/bin/python bench/lineage_bench.py [--versions 10000] [--depth 5] [--tries 15] [--sqlite]

Starts a real Cairn server (gunicorn + Celery worker, as `make run` does) on a
fresh PostgreSQL database (BENCH_DATABASE_URL; --sqlite for SQLite), seeds
--versions artifact versions straight into the database with bulk_create:
--versions / 2 runs, run i logs two versions (a dataset and a model) and uses
three versions that earlier runs logged (from the last 200), so the graph
branches both ways like a team's datasets, trainings and evaluations. Then it
measures `GET .../artifacts/<name>/<vN>/lineage?depth=5` for a version in the
middle of the history: the server's own time from the Server-Timing header
(median of --tries, after one warm-up) and the round trip.

The floor (issue 15): ≤ 50 ms server time. MLflow has no lineage query (its
runs log artifacts but record no inputs between runs), so there is no peer
figure to print beside Cairn's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.serverproc import ServerProcess  # noqa: E402

PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
FLOOR_MS = 50.0
PROJECT = "lineage"


def seed(db_url: str, versions: int) -> None:
    """`versions` versions of two artifacts, logged and used by versions // 2 runs, straight into the database."""
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("CAIRN_SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django

    django.setup()
    from apps.artifacts.models import ArtifactCollection, ArtifactUse, ArtifactVersion
    from apps.runs.models import Project, Run

    rng = random.Random(7)
    project = Project.objects.get(organization__slug="local", slug=PROJECT)
    data = ArtifactCollection.objects.create(project=project, name="data", type="dataset")
    model = ArtifactCollection.objects.create(project=project, name="model", type="model")
    n_runs = versions // 2
    Run.objects.bulk_create(
        [Run(project=project, run_id=f"r{i}", name=f"run {i}", state="finished") for i in range(n_runs)],
        batch_size=2000)
    runs = list(Run.objects.filter(project=project).order_by("pk").values_list("pk", flat=True))
    made = []
    for i, run_pk in enumerate(runs):
        for c in (data, model):
            made.append(ArtifactVersion(collection=c, index=i, digest=hashlib.sha256(f"{c.name}{i}".encode()).hexdigest(),
                                        size=1000, file_count=1, created_by_id=run_pk))
    ArtifactVersion.objects.bulk_create(made, batch_size=2000)
    pks = list(ArtifactVersion.objects.filter(collection__project=project).order_by("index", "collection_id")
               .values_list("pk", flat=True))
    uses = []
    for i, run_pk in enumerate(runs[1:], start=1):
        window = pks[max(0, 2 * i - 200):2 * i]
        for v in rng.sample(window, min(3, len(window))):
            uses.append(ArtifactUse(run_id=run_pk, version_id=v))
    ArtifactUse.objects.bulk_create(uses, batch_size=2000)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"seeded {len(made):,} versions, {len(runs):,} runs, {len(uses):,} uses", file=sys.stderr)


def measure(server: ServerProcess, versions: int, depth: int, tries: int) -> dict[str, Any]:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    middle = versions // 4  # model:v<middle>: runs before made its inputs, runs after use it
    url = f"{server.url}/api/v1/projects/local/{PROJECT}/artifacts/model/v{middle}/lineage"

    def go() -> requests.Response:
        r = s.get(url, params={"depth": depth})
        r.raise_for_status()
        return r

    first = go().json()
    trips, servers = [], []
    for _ in range(tries):
        t0 = time.perf_counter()
        r = go()
        trips.append(time.perf_counter() - t0)
        servers.append(float(r.headers["Server-Timing"].split("dur=")[1]))
    return {
        "versions": versions, "depth": depth, "nodes": len(first["nodes"]), "edges": len(first["edges"]),
        "truncated": first["truncated"], "server_ms": statistics.median(servers),
        "round_trip_ms": statistics.median(trips) * 1000,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--versions", type=int, default=10_000)
    ap.add_argument("--depth", type=int, default=5)
    ap.add_argument("--tries", type=int, default=15)
    ap.add_argument("--sqlite", action="store_true", help="SQLite in the server's data folder instead of PostgreSQL")
    args = ap.parse_args()
    if args.sqlite:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = PG
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp), extra_env={"CAIRN_WEB_WORKERS": "2"})
        try:
            server.start()
        except RuntimeError:
            print(server.log_tail(), file=sys.stderr)
            raise
        try:
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {server.api_key}"
            s.post(f"{server.url}/api/v1/orgs/local/projects", json={"slug": PROJECT}).raise_for_status()
            seed(server.env["DATABASE_URL"], args.versions)
            result = measure(server, args.versions, args.depth, args.tries)
            result["database"] = "sqlite" if args.sqlite else "postgresql"
        finally:
            server.cleanup()
    print(json.dumps(result, indent=2))
    report(result)


def report(r: dict[str, Any]) -> None:
    ok = "meets" if r["server_ms"] <= FLOOR_MS else "MISSES"
    print()
    print("| Figure | Cairn | MLflow | Floor |")
    print("| --- | --- | --- | --- |")
    print(f"| Lineage of a version, depth {r['depth']}, over {r['versions']:,} versions ({r['nodes']} nodes, "
          f"{r['edges']} edges{', truncated' if r['truncated'] else ''}), {r['database']}: server time (round trip) "
          f"| {r['server_ms']:.1f} ms ({r['round_trip_ms']:.1f} ms) | no lineage query | ≤ {FLOOR_MS:.0f} ms server "
          f"({ok}) |")


if __name__ == "__main__":
    main()
