"""An installed server's start and idle footprint, Cairn beside MLflow, from one run.

    .venv/bin/python bench/deploy_bench.py [--rounds 3]

Cairn: `cairn-server prepare`, then `cairn-server web --workers 1` (what the
container and docs/deploy.md run) on a fresh SQLite data folder; timed from the
command to the first 200 of `/api/v1/health`, then the PSS of the web process
(gunicorn's worker) and of its master after 5 s idle. MLflow: `mlflow server
--workers 1` on a fresh SQLite store, from the peers' environment
(bench/setup-peers.sh), timed to its `/health`. Floors (issue 19): healthy
≤ 3 s, idle web process ≤ 150 MB PSS.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / ".venv-peers" / "bin" / "python"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], start: float) -> float:
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({proc.returncode})")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return time.perf_counter() - start
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.perf_counter() - start > 60:
            raise TimeoutError(url)
        time.sleep(0.02)


def _pss_mb(proc: subprocess.Popen[bytes]) -> tuple[float, float]:
    """(master, largest child) PSS in MB."""
    master = psutil.Process(proc.pid)
    children = master.children(recursive=True)
    child = max((c.memory_full_info().pss for c in children), default=0)
    return master.memory_full_info().pss / 2**20, child / 2**20


def _measure(command: list[str], health: str, env: dict[str, str]) -> tuple[float, float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        seconds = _wait_healthy(health, proc, start)
        time.sleep(5)
        master, worker = _pss_mb(proc)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return seconds, master, worker


def cairn(round_dir: Path) -> tuple[float, float, float]:
    env = {**os.environ, "CAIRN_DATA_DIR": str(round_dir), "CAIRN_SECRET_KEY": "bench" * 10,
           "DATABASE_URL": f"sqlite:///{round_dir / 'cairn.sqlite3'}"}
    env.pop("CELERY_BROKER_URL", None)
    server = str(ROOT / ".venv" / "bin" / "cairn-server")
    subprocess.run([server, "prepare"], env=env, check=True, capture_output=True)
    port = _port()
    return _measure([server, "web", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                    f"http://127.0.0.1:{port}/api/v1/health", env)


def mlflow(round_dir: Path) -> tuple[float, float, float]:
    port = _port()
    command = [str(PEERS), "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
               "--backend-store-uri", f"sqlite:///{round_dir / 'mlflow.db'}",
               "--default-artifact-root", str(round_dir / "artifacts")]
    # The database is made on the first start: a second start is the steady case, like Cairn's after prepare.
    _measure(command, f"http://127.0.0.1:{port}/health", dict(os.environ))
    return _measure(command, f"http://127.0.0.1:{port}/health", dict(os.environ))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    results: dict[str, list[tuple[float, float, float]]] = {"cairn": [], "mlflow": []}
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as d:
            results["cairn"].append(cairn(Path(d)))
        if PEERS.exists():
            with tempfile.TemporaryDirectory() as d:
                results["mlflow"].append(mlflow(Path(d)))
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; medians of {args.rounds} rounds")
    print(f"{'':34}{'Cairn':>10}{'MLflow':>10}{'ratio':>8}   floor")
    rows = (("start to healthy, s", 0, "<= 3 s"), ("master process PSS, MB", 1, ""), ("web worker PSS, MB", 2, "<= 150 MB"))
    for label, i, floor in rows:
        c = statistics.median(r[i] for r in results["cairn"])
        m = statistics.median(r[i] for r in results["mlflow"]) if results["mlflow"] else float("nan")
        ratio = f"{m / c:.2f}x" if results["mlflow"] else "-"
        print(f"{label:34}{c:10.2f}{m:10.2f}{ratio:>8}   {floor}")
    if not results["mlflow"]:
        print("MLflow not measured: run bench/setup-peers.sh", file=sys.stderr)


if __name__ == "__main__":
    main()
