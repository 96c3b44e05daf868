"""MLflow's `log_artifacts`, the peer figure of bench/artifacts_bench.py.

    bench/.venv-peers/bin/python bench/peers/mlflow_log_artifacts.py DIR

Starts `mlflow server` (bench/peers/mlflow_server.py: PostgreSQL, artifacts
served by the tracking server: the experiment's location is
`mlflow-artifacts:/`, so files go over HTTP), then in one run calls
`mlflow.log_artifacts(DIR, "v0")` and again `mlflow.log_artifacts(DIR, "v1")`
(MLflow has no versions or dedupe: logging the same folder again uploads it
again), timing each; prints JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import log  # noqa: E402
from mlflow_server import MlflowServer  # noqa: E402


def main() -> None:
    import mlflow

    folder = sys.argv[1]
    with MlflowServer(workers=1, jobs=False) as srv:  # one web process, as our bench server has
        mlflow.set_tracking_uri(srv.url)
        # Uploaded through the tracking server (mlflow-artifacts:/, HTTP), as a remote client does; the
        # default artifact root would be a local path, which the client would simply copy to.
        mlflow.create_experiment("bench-artifacts", artifact_location="mlflow-artifacts:/bench-artifacts")
        mlflow.set_experiment("bench-artifacts")
        with mlflow.start_run():
            log("mlflow: first log_artifacts")
            t0 = time.perf_counter()
            mlflow.log_artifacts(folder, "v0")
            first = time.perf_counter() - t0
            log("mlflow: log_artifacts again")
            t0 = time.perf_counter()
            mlflow.log_artifacts(folder, "v1")
            again = time.perf_counter() - t0
    print(json.dumps({"first_s": first, "again_s": again}))


if __name__ == "__main__":
    main()
