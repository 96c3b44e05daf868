"""Media benchmarks: the upload request's latency (beside MLflow's) and one worker's throughput.

    .venv/bin/python bench/media_bench.py [--uploads 300] [--images 1000] [--no-peers]

1. Upload latency: a real Cairn server (gunicorn, as `make run` starts it)
   takes `--uploads` 256×256 PNGs, one PUT at a time, each referenced from
   history first, so every upload also queues its processing. Client-side
   round trip, p50 and p95 (floor: p95 ≤ 50 ms). The same files go to
   MLflow's artifact upload endpoint (bench/peers/mlflow_artifacts.py, in the
   peers' environment) in the same run, and the ratio is printed.
2. Worker throughput: `--images` 256×256 PNGs are uploaded to a server with
   no worker, then one Celery worker process (`--pool solo`) is started on
   the media queue; throughput is the number of items it marked ready over
   the time between the first and the last (floor: ≥ 100/s). Each item is
   read from storage, checked from its bytes, decoded, thumbnailed (256 px
   WebP), the thumbnail stored and the row updated.

The database is DATABASE_URL's (PostgreSQL, as production) or SQLite; the
broker is CELERY_BROKER_URL's (Redis) or the embedded filesystem broker.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.media.servers import media_rows  # noqa: E402
from tests.serverproc import ServerProcess, server_python  # noqa: E402


def pngs(n: int, seed: int = 0) -> list[bytes]:
    """Distinct 256×256 photos-like PNGs (smooth gradients plus noise: ~100 KB each)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:256, 0:256]
    out = []
    for i in range(n):
        base = np.stack([(x + i) % 256, (y * 2 + i) % 256, (x + y + 3 * i) % 256], axis=-1)
        pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, format="PNG")
        out.append(buf.getvalue())
    return out


class Server(ServerProcess):
    """A server whose worker this bench starts itself, or none."""

    def __init__(self, data_dir: Path, worker: bool) -> None:
        super().__init__(data_dir, extra_env={"CAIRN_BROKER_KEY_PREFIX": f"cairn-bench-{os.getpid()}:"})
        self.worker = worker

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "server.log", "ab")
        cmd = [server_python(), "-m", "webapp.serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            cmd + ([] if self.worker else ["--no-worker"]), cwd=str(ROOT), env=self.env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not (self.healthy() and (self.data_dir / "api-key").exists()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{self.log_tail()}")
            time.sleep(0.1)
        self.api_key = (self.data_dir / "api-key").read_text().strip()


def run_url(server: ServerProcess, run_id: str) -> str:
    return f"{server.url}/api/v1/projects/{server.org}/bench/runs/{run_id}"


def reference_all(s: requests.Session, url: str, images: list[bytes]) -> list[str]:
    """One history row per image referencing it, in one append; the paths."""
    paths = [f"media/image/samples/{i}-0-{hashlib.sha256(b).hexdigest()[:16]}.png" for i, b in enumerate(images)]
    records = [
        {"step": i, "time": 1.7e9 + i, "data": {"samples": {
            "_type": "image", "path": p, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b), "width": 256, "height": 256,
        }}}
        for i, (p, b) in enumerate(zip(paths, images))
    ]
    s.put(url, json={}).raise_for_status()
    s.post(f"{url}/streams/history", json={"offset": 0, "records": records}).raise_for_status()
    return paths


def upload_all(s: requests.Session, url: str, paths: list[str], images: list[bytes]) -> tuple[list[float], list[float]]:
    """Round trip and server time (Server-Timing) of each upload, in ms."""
    rtt, app = [], []
    for path, body in zip(paths, images):
        headers = {"X-Cairn-Sha256": hashlib.sha256(body).hexdigest(), "Content-Type": "application/octet-stream"}
        t0 = time.perf_counter()
        r = s.put(f"{url}/files/{path}", data=body, headers=headers)
        rtt.append(1000 * (time.perf_counter() - t0))
        r.raise_for_status()
        app.append(float(r.headers.get("Server-Timing", "app;dur=nan").split("dur=")[1]))
    return rtt, app


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs), p))


def bench_latency(n: int, tmp: Path) -> dict[str, float]:
    images = pngs(n + 20, seed=1)
    server = Server(tmp / "latency", worker=True)
    server.start()
    try:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {server.api_key}"
        url = run_url(server, "latency")
        paths = reference_all(s, url, images)
        upload_all(s, url, paths[:20], images[:20])  # warm up
        web = web_processes(server)
        cpu0 = cpu_seconds(web)
        rtt, app = upload_all(s, url, paths[20:], images[20:])
        cpu_ms = 1000 * (cpu_seconds(web) - cpu0) / n
    finally:
        server.cleanup()
    return {"n": n, "p50_ms": pct(rtt, 50), "p95_ms": pct(rtt, 95), "server_p95_ms": pct(app, 95),
            "kb": sum(map(len, images)) / len(images) / 1024, "cpu_ms": cpu_ms}


def web_processes(server: ServerProcess) -> list[psutil.Process]:
    assert server.proc is not None
    return [p for p in psutil.Process(server.proc.pid).children(recursive=True) if "gunicorn" in " ".join(p.cmdline())]


def cpu_seconds(procs: list[psutil.Process]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def bench_peer(n: int, tmp: Path) -> dict[str, float] | None:
    python = ROOT / "bench" / ".venv-peers" / "bin" / "python"
    if not python.exists():
        print("  (no bench/.venv-peers: run bench/setup-peers.sh for MLflow's figure)", file=sys.stderr)
        return None
    folder = tmp / "peer-files"
    folder.mkdir()
    for i, body in enumerate(pngs(n + 20, seed=1)):
        (folder / f"{i:05d}.png").write_bytes(body)
    out = subprocess.run([str(python), str(ROOT / "bench" / "peers" / "mlflow_artifacts.py"), str(folder)],
                         capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def bench_worker(n: int, tmp: Path) -> dict[str, float]:
    images = pngs(n, seed=2)
    server = Server(tmp / "worker", worker=False)
    server.start()
    worker = None
    try:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {server.api_key}"
        url = run_url(server, "throughput")
        paths = reference_all(s, url, images)
        upload_all(s, url, paths, images)
        worker = subprocess.Popen(
            [server_python(), "-m", "celery", "--quiet", "-A", "webapp", "worker", "--pool", "solo",
             "--queues", "media", "--loglevel", "WARNING"],
            cwd=str(ROOT), env=server.env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        proc = psutil.Process(worker.pid)
        deadline = time.monotonic() + 600
        first: tuple[int, float] | None = None  # items done and worker CPU seconds when work began
        while True:
            rows = media_rows(server, "throughput")
            done = sum(r["status"] != "pending" for r in rows)
            cpu = sum(proc.cpu_times()[:2])
            if first is None and done:
                first = (done, cpu)
            if done >= n or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        server.cleanup()
    ready = [r for r in rows if r["status"] == "ready"]
    times = sorted(_seconds(r["processed_at"]) for r in ready)
    span = times[-1] - times[0]
    cpu_ms = 1000 * (cpu - first[1]) / max(1, done - first[0]) if first else float("nan")
    return {"n": n, "ready": len(ready), "failed": sum(r["status"] == "failed" for r in rows),
            "per_s": (len(times) - 1) / span if span > 0 else float("nan"), "cpu_ms": cpu_ms}


def _seconds(value: object) -> float:
    from datetime import datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.timestamp()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--uploads", type=int, default=300)
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--only", choices=("latency", "worker"), help="measure one of the two")
    args = ap.parse_args()
    db = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    broker = "Redis" if os.environ.get("CELERY_BROKER_URL", "").startswith("redis") else "filesystem broker"
    print(f"media bench: {db}, {broker}, {os.cpu_count()} CPUs, local file storage")
    with tempfile.TemporaryDirectory(prefix="cairn-media-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if args.only != "worker":
            lat = bench_latency(args.uploads, tmp)
            print(f"upload request, {lat['kb']:.0f} KB PNG, {lat['n']} sequential PUTs: "
                  f"p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms (server time p95 {lat['server_p95_ms']:.1f} ms)"
                  f"  floor p95 <= 50 ms: {'PASS' if lat['p95_ms'] <= 50 else 'FAIL'}")
            print(f"  the web process's own CPU time per upload: {lat['cpu_ms']:.1f} ms "
                  f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
            peer = None if args.no_peers else bench_peer(args.uploads, tmp)
            if peer:
                print(f"MLflow artifact PUT, same files: p50 {peer['p50_ms']:.1f} ms, p95 {peer['p95_ms']:.1f} ms, "
                      f"server CPU {peer['cpu_ms']:.1f} ms an upload;  Cairn/MLflow p95 ratio "
                      f"{lat['p95_ms'] / peer['p95_ms']:.2f}, CPU ratio {lat['cpu_ms'] / peer['cpu_ms']:.2f}")
        if args.only != "latency":
            work = bench_worker(args.images, tmp)
            print(f"one worker (--pool solo), {work['n']} 256x256 PNGs: {work['per_s']:.0f} validated+thumbnailed/s "
                  f"({work['ready']} ready, {work['failed']} failed)  floor >= 100/s: "
                  f"{'PASS' if work['per_s'] >= 100 else 'FAIL'}")
            print(f"  the worker's own CPU time per item: {work['cpu_ms']:.1f} ms, i.e. {1000 / work['cpu_ms']:.0f}/s "
                  f"on a core of its own (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
