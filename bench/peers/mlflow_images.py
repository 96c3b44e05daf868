"""An MLflow server on PostgreSQL with one run of logged images, for bench/media_web_bench.py.

    bench/.venv-peers/bin/python bench/peers/mlflow_images.py --steps 1000 --gallery 10

Starts `mlflow server` (bench/peers/mlflow_server.py's MlflowServer), logs
`--steps` × `--gallery` 40×30 PNG images under one key with
`MlflowClient.log_image(run_id, image, key=, step=)` (the time-stepped form
the UI shows in an image card with a step slider), prints one JSON line
{"url", "experiment_id", "run_id", "seed_s", "images", "version"} on stdout, then
serves until stdin closes; then it stops the server and drops its database.
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
from mlflow_server import MlflowServer, client  # noqa: E402


def main() -> int:
    apply_quiet_env()
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--gallery", type=int, default=10)
    ap.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/cairn_bench_mlflow_images")
    args = ap.parse_args()
    import mlflow
    import numpy as np

    with MlflowServer(db_url=args.db, jobs=False) as srv:
        c = client(srv)
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            exp = c.create_experiment("media-web-bench")
            run_id = c.create_run(exp, run_name="images").info.run_id
            log(f"logging {args.steps} x {args.gallery} images")

            def step(s: int) -> None:
                for i in range(args.gallery):
                    img = np.zeros((30, 40, 3), dtype=np.uint8)
                    img[:, :] = ((s * 7) % 255, (i * 25) % 255, 128)
                    c.log_image(run_id, img, key="samples", step=s, synchronous=True)

            step(0)  # alone: each call sets a run tag, which parallel first calls would insert twice
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(step, range(1, args.steps)))
            c.set_terminated(run_id)
        emit({"url": srv.url, "experiment_id": exp, "run_id": run_id, "seed_s": round(time.perf_counter() - t0, 1),
              "images": args.steps * args.gallery, "version": mlflow.__version__})
        sys.stdin.read()  # serve until the bench closes our stdin
    return 0


if __name__ == "__main__":
    sys.exit(main())
