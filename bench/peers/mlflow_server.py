"""MLflow tracking server on PostgreSQL: the peer figures for our server bench.

Run with the peers' venv (bench/setup-peers.sh makes it):

    bench/.venv-peers/bin/python bench/peers/mlflow_server.py all
    bench/.venv-peers/bin/python bench/peers/mlflow_server.py ingest --points 200000
    bench/.venv-peers/bin/python bench/peers/mlflow_server.py history --points 100000
    bench/.venv-peers/bin/python bench/peers/mlflow_server.py search --runs 1000
    bench/.venv-peers/bin/python bench/peers/mlflow_server.py storage
    bench/.venv-peers/bin/python bench/peers/mlflow_server.py startup

Each subcommand creates a fresh database, starts its own `mlflow server`,
measures, stops the server, drops the database, and prints one JSON object on
stdout (progress goes to stderr). `all` shares one server across every
measurement; it is what our bench calls.

From Python (same venv): `with MlflowServer(...) as srv: measure_ingest(srv, points=...)`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MachineLoad, apply_quiet_env, emit, log, median, quiet_env, tree  # noqa: E402

__all__ = [
    "MlflowServer",
    "measure_history",
    "measure_ingest",
    "measure_search",
    "measure_storage",
    "run_all",
]

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/cairn_bench_mlflow"
KEYS_PER_STEP = 10
MAX_METRICS_PER_BATCH = 1000  # mlflow.utils.validation.MAX_METRICS_PER_BATCH
MAX_PARAMS_PER_BATCH = 100  # MAX_PARAMS_TAGS_PER_BATCH


# --- database ---------------------------------------------------------------


def _split_db(db_url: str) -> tuple[str, str]:
    """(URL of the maintenance db `postgres` on the same server, db name)."""
    parts = urlsplit(db_url)
    name = parts.path.lstrip("/")
    if not name or name == "postgres":
        raise ValueError(f"refusing to recreate database {name!r}: name a bench database")
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, name


def _psycopg_url(db_url: str) -> str:
    # SQLAlchemy spellings (postgresql+psycopg2://) are not libpq URLs.
    scheme, rest = db_url.split("://", 1)
    return "postgresql://" + rest


def _sqlalchemy_url(db_url: str) -> str:
    # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, which is not
    # installed; name psycopg2, the driver MLflow documents and we measure.
    scheme, rest = db_url.split("://", 1)
    return ("postgresql+psycopg2://" + rest) if scheme == "postgresql" else db_url


def db_recreate(db_url: str) -> None:
    """Drop (if there) and create the benchmark database: every run starts empty."""
    import psycopg2

    admin, name = _split_db(db_url)
    conn = psycopg2.connect(_psycopg_url(admin))
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def db_drop(db_url: str) -> None:
    import psycopg2

    admin, name = _split_db(db_url)
    conn = psycopg2.connect(_psycopg_url(admin))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


# --- server -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class MlflowServer:
    """`mlflow server` on a fresh PostgreSQL database, as a context manager.

    Entering recreates the database, starts the server in its own process
    group, and waits for /health; leaving stops the whole group and drops the
    database (unless keep_db).
    """

    db_url: str = DEFAULT_DB
    port: int = 0
    workers: int | None = None  # None: MLflow's default (4 uvicorn workers)
    # None: MLflow's default, which (3.x) also starts a job runner with 7 huey
    # consumer processes; False sets MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false.
    jobs: bool | None = None
    startup_timeout_s: float = 180.0
    keep_db: bool = False
    startup_s: float = field(default=float("nan"), init=False)
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def process(self) -> psutil.Process:
        assert self._proc is not None
        return psutil.Process(self._proc.pid)

    def __enter__(self) -> MlflowServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if not self.port:
            self.port = free_port()
        db_recreate(self.db_url)
        self._tmp = tempfile.TemporaryDirectory(prefix="cairn-bench-mlflow-")
        artifacts = Path(self._tmp.name) / "artifacts"
        artifacts.mkdir()
        cmd = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", _sqlalchemy_url(self.db_url),
            "--default-artifact-root", str(artifacts),
            # Where proxied uploads (mlflow-artifacts:/) land; the default is ./mlartifacts.
            "--artifacts-destination", str(artifacts),
            "--host", "127.0.0.1",
            "--port", str(self.port),
        ]  # fmt: skip
        if self.workers is not None:
            cmd += ["--workers", str(self.workers)]
        logf = open(Path(self._tmp.name) / "server.log", "wb")
        log(f"starting mlflow server on :{self.port} ({self.db_url})")
        t0 = time.perf_counter()
        # Own session: stop() can signal the whole tree (uvicorn workers too).
        env = quiet_env()
        if self.jobs is not None:
            env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "true" if self.jobs else "false"
        self._proc = subprocess.Popen(
            cmd, stdout=logf, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        logf.close()
        deadline = t0 + self.startup_timeout_s
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited ({self._proc.returncode}):\n{self.log_tail()}")
            if self._healthy():
                break
            if time.perf_counter() > deadline:
                raise TimeoutError(f"mlflow server not healthy in {self.startup_timeout_s}s:\n{self.log_tail()}")
            time.sleep(0.05)
        self.startup_s = time.perf_counter() - t0
        log(f"healthy after {self.startup_s:.2f}s")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def log_tail(self, n: int = 4000) -> str:
        if self._tmp is None:
            return ""
        p = Path(self._tmp.name) / "server.log"
        return p.read_text(errors="replace")[-n:] if p.exists() else ""

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            # Collect the pids first: workers re-parented after the master dies
            # would otherwise escape.
            procs = tree(psutil.Process(self._proc.pid))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGTERM)
            _, alive = psutil.wait_procs(procs, timeout=15)
            for p in alive:
                with contextlib.suppress(psutil.Error):
                    p.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        self._proc = None
        if not self.keep_db:
            try:
                db_drop(self.db_url)
            except Exception as e:  # cleanup must not hide the measurement's error
                log(f"could not drop database: {e}")
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def client(srv: MlflowServer) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=srv.url)


# --- measurements -------------------------------------------------------------


def _role(p: psutil.Process) -> str:
    cmd = " ".join(p.cmdline())
    if "huey" in cmd or "_job_runner" in cmd:
        return "jobs"  # MLflow 3.x job runner and its huey consumers
    if "spawn_main" in cmd or "uvicorn" in cmd or "resource_tracker" in cmd:
        return "http"  # uvicorn supervisor and its workers
    return "main"  # the `mlflow server` CLI process itself


def measure_idle(srv: MlflowServer, *, idle_s: float = 10.0) -> dict[str, Any]:
    """RSS of the whole server tree (CLI process, uvicorn workers, job
    runner) after idling. PSS too: it splits shared pages between processes,
    so it does not count a shared library twice."""
    time.sleep(idle_s)
    rss: dict[str, int] = {"main": 0, "http": 0, "jobs": 0}
    pss = 0
    procs = tree(srv.process)
    for p in procs:
        try:
            mi = p.memory_full_info()
            rss[_role(p)] += mi.rss
            pss += mi.pss
        except psutil.Error:
            pass
    return {
        "startup_s": round(srv.startup_s, 3),
        "idle_rss_bytes": sum(rss.values()),
        "idle_pss_bytes": pss,
        "idle_rss_by_role_bytes": rss,
        "idle_after_s": idle_s,
        "server_processes": len(procs),
        "server_job_execution": srv.jobs if srv.jobs is not None else "default(on)",
    }


def _log_steps(c: Any, run_id: str, keys: list[str], steps: int, seed: int) -> None:
    """log_batch `steps` steps of `keys`, in the largest batches MLflow takes."""
    import numpy as np
    from mlflow.entities import Metric

    rng = np.random.default_rng(seed)
    steps_per_batch = max(1, MAX_METRICS_PER_BATCH // len(keys))
    ts = int(time.time() * 1000)
    for start in range(0, steps, steps_per_batch):
        stop = min(steps, start + steps_per_batch)
        values = rng.random((stop - start, len(keys))).tolist()
        batch = [
            Metric(key=k, value=row[j], timestamp=ts + step, step=step)
            for step, row in zip(range(start, stop), values)
            for j, k in enumerate(keys)
        ]
        c.log_batch(run_id, metrics=batch)


def measure_ingest(srv: MlflowServer, *, points: int = 200_000) -> dict[str, Any]:
    """Sequential log_batch of 1000-metric batches (100 steps x 10 keys)."""
    c = client(srv)
    exp = c.create_experiment(f"ingest-{uuid.uuid4().hex[:8]}")
    run = c.create_run(exp)
    keys = [f"m{i}" for i in range(KEYS_PER_STEP)]
    steps = points // KEYS_PER_STEP
    log(f"ingest: {steps * KEYS_PER_STEP} points")
    t0 = time.perf_counter()
    _log_steps(c, run.info.run_id, keys, steps, seed=1)
    dt = time.perf_counter() - t0
    n = steps * KEYS_PER_STEP
    return {
        "ingest_points": n,
        "ingest_batch_size": MAX_METRICS_PER_BATCH,
        "ingest_s": round(dt, 3),
        "ingest_points_per_s": round(n / dt, 1),
        "ingest_run_id": run.info.run_id,
    }


def measure_storage(srv: MlflowServer) -> dict[str, Any]:
    """Bytes per metric point of MLflow's metric tables, indexes and TOAST
    included. Call it right after ingest, before other runs add rows."""
    import psycopg2

    conn = psycopg2.connect(_psycopg_url(srv.db_url))
    try:
        with conn.cursor() as cur:
            cur.execute("CHECKPOINT")  # sizes as on disk, not pending in WAL only
        conn.commit()
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_total_relation_size('metrics'), pg_total_relation_size('latest_metrics'),"
                " (SELECT count(*) FROM metrics)"
            )
            m, lm, n = cur.fetchone()
    finally:
        conn.close()
    return {
        "storage_metrics_bytes": m,
        "storage_latest_metrics_bytes": lm,
        "storage_points": n,
        "storage_bytes_per_point": round((m + lm) / n, 1) if n else None,
    }


def measure_history(srv: MlflowServer, *, points: int = 100_000, repeats: int = 3) -> dict[str, Any]:
    """get_metric_history of one key with `points` steps (median of `repeats`)."""
    c = client(srv)
    exp = c.create_experiment(f"history-{uuid.uuid4().hex[:8]}")
    run = c.create_run(exp)
    log(f"history: logging {points} points of one key")
    t0 = time.perf_counter()
    _log_steps(c, run.info.run_id, ["loss"], points, seed=2)
    setup = time.perf_counter() - t0
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        hist = c.get_metric_history(run.info.run_id, "loss")
        times.append(time.perf_counter() - t0)
        if len(hist) != points:
            raise RuntimeError(f"get_metric_history returned {len(hist)} of {points} points")
        log(f"history: read {i + 1}/{repeats}: {times[-1]:.2f}s")
    return {
        "history_points": points,
        "history_s": round(median(times), 3),
        "history_s_all": [round(t, 3) for t in times],
        "history_setup_s": round(setup, 1),
    }


def measure_search(
    srv: MlflowServer, *, runs: int = 1000, params: int = 20, metrics: int = 20, repeats: int = 5
) -> dict[str, Any]:
    """search_runs with a param filter, a metric threshold and a metric order."""
    import numpy as np
    from mlflow.entities import Metric, Param

    c = client(srv)
    exp = c.create_experiment(f"search-{uuid.uuid4().hex[:8]}")
    rng = np.random.default_rng(3)
    values = rng.random((runs, metrics)).tolist()
    ts = int(time.time() * 1000)

    def make(i: int) -> None:
        run = c.create_run(exp)
        # p0 takes 10 values: the filter keeps ~1/10 of runs, then m0 > 0.5 half of those.
        ps = [Param(f"p{j}", str(i % 10) if j == 0 else f"v{(i * 7 + j) % 13}") for j in range(params)]
        ms = [Metric(f"m{j}", values[i][j], ts, 0) for j in range(metrics)]
        c.log_batch(run.info.run_id, metrics=ms, params=ps[:MAX_PARAMS_PER_BATCH])

    log(f"search: creating {runs} runs ({params} params, {metrics} metrics each)")
    t0 = time.perf_counter()
    # Setup is not measured: spread it over the server's workers to save time.
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(make, range(runs)))
    setup = time.perf_counter() - t0

    flt = "params.p0 = '3' and metrics.m0 > 0.5"
    times = []
    found = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = c.search_runs([exp], filter_string=flt, order_by=["metrics.m1 DESC"], max_results=50)
        times.append(time.perf_counter() - t0)
        found = len(res)
    return {
        "search_runs": runs,
        "search_filter": flt,
        "search_matched": found,
        "search_s": round(median(times), 4),
        "search_s_all": [round(t, 4) for t in times],
        "search_setup_s": round(setup, 1),
    }


def _meta() -> dict[str, Any]:
    import mlflow

    return {"peer": "mlflow", "mlflow_version": mlflow.__version__}


def run_all(
    *,
    db_url: str = DEFAULT_DB,
    port: int = 0,
    idle_s: float = 10.0,
    points: int = 100_000,
    history_points: int = 100_000,
    runs: int = 1000,
    jobs: bool | None = None,
) -> dict[str, Any]:
    """Every figure with one server; storage is read right after ingest so
    only ingest's points are in the tables. 100,000 ingest points by default
    (~30-70 s of logging: enough for a steady rate) keep the whole run near
    4 minutes on a quiet 2-core machine."""
    out = _meta()
    load = MachineLoad()
    t0 = time.perf_counter()
    with MlflowServer(db_url=db_url, port=port, jobs=jobs) as srv:
        out.update(measure_idle(srv, idle_s=idle_s))
        out.update(measure_ingest(srv, points=points))
        out.update(measure_storage(srv))
        out.update(measure_history(srv, points=history_points))
        out.update(measure_search(srv, runs=runs))
    out["total_s"] = round(time.perf_counter() - t0, 1)
    out.update(load.result())
    return out


# --- CLI --------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    apply_quiet_env()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=DEFAULT_DB, help="database to (re)create and use (dropped at the end)")
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument(
        "--jobs", action=argparse.BooleanOptionalAction, default=None,
        help="MLflow's job runner (7 huey processes); default: MLflow's default (on)",
    )  # fmt: skip
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("startup", "serve-and-measure-startup"):
        sub.add_parser(name).add_argument("--idle", type=float, default=10.0)
    sub.add_parser("ingest").add_argument("--points", type=int, default=200_000)
    sub.add_parser("storage").add_argument("--points", type=int, default=200_000)
    sub.add_parser("history").add_argument("--points", type=int, default=100_000)
    sub.add_parser("search").add_argument("--runs", type=int, default=1000)
    a = sub.add_parser("all")
    a.add_argument("--idle", type=float, default=10.0)
    a.add_argument("--points", type=int, default=100_000)
    a.add_argument("--history-points", type=int, default=100_000)
    a.add_argument("--runs", type=int, default=1000)
    args = ap.parse_args(argv)

    if args.cmd == "all":
        emit(run_all(db_url=args.db, port=args.port, idle_s=args.idle, points=args.points,
                     history_points=args.history_points, runs=args.runs, jobs=args.jobs))  # fmt: skip
        return 0
    out = _meta()
    load = MachineLoad()
    with MlflowServer(db_url=args.db, port=args.port, jobs=args.jobs) as srv:
        if args.cmd in ("startup", "serve-and-measure-startup"):
            out.update(measure_idle(srv, idle_s=args.idle))
        elif args.cmd == "ingest":
            out.update(measure_ingest(srv, points=args.points))
        elif args.cmd == "storage":
            out.update(measure_ingest(srv, points=args.points))
            out.update(measure_storage(srv))
        elif args.cmd == "history":
            out.update(measure_history(srv, points=args.points))
        elif args.cmd == "search":
            out.update(measure_search(srv, runs=args.runs))
    out.update(load.result())
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
