"""MLflow's artifact upload request, the peer figure of bench/media_bench.py.

    bench/.venv-peers/bin/python bench/peers/mlflow_artifacts.py DIR

Starts `mlflow server` (bench/peers/mlflow_server.py: PostgreSQL, artifacts
served by the tracking server), PUTs every file of DIR to its proxied
artifact endpoint, `/api/2.0/mlflow-artifacts/artifacts/<path>` (what
`MlflowClient.log_artifact` calls for a run whose artifacts the server
serves), one at a time on one connection, and prints the request latencies
as JSON.
"""

from __future__ import annotations

import http.client
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import log, tree  # noqa: E402
from mlflow_server import MlflowServer  # noqa: E402


def measure(srv: MlflowServer, files: list[Path]) -> dict[str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    procs = tree(srv.process)
    cpu0 = sum(sum(p.cpu_times()[:2]) for p in procs)
    times: list[float] = []
    for i, f in enumerate(files):
        body = f.read_bytes()
        t0 = time.perf_counter()
        conn.request("PUT", f"/api/2.0/mlflow-artifacts/artifacts/bench/run/media/{i}-{f.name}", body=body,
                     headers={"Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        r.read()
        times.append(time.perf_counter() - t0)
        if r.status != 200:
            raise RuntimeError(f"mlflow answered {r.status}")
    cpu = sum(sum(p.cpu_times()[:2]) for p in procs) - cpu0
    times.sort()
    return {
        "cpu_ms": 1000 * cpu / len(times),
        "n": len(times),
        "p50_ms": 1000 * times[len(times) // 2],
        "p95_ms": 1000 * times[int(len(times) * 0.95) - 1],
    }


def main() -> None:
    files = sorted(Path(sys.argv[1]).iterdir())
    with MlflowServer(workers=1, jobs=False) as srv:  # one web process, as our bench server has
        measure(srv, files[:20])  # warm up
        log("measuring artifact uploads")
        print(json.dumps(measure(srv, files)))


if __name__ == "__main__":
    main()
