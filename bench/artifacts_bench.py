"""Artifact upload benchmarks: first upload and an unchanged re-log, beside MLflow's log_artifacts.

    .venv/bin/python bench/artifacts_bench.py [--files 10000] [--kb 100] [--no-peers]

A folder of `--files` random files of `--kb` KB each (default 10,000 x 100 KB
= 1 GB) is logged by a real training script (the agent, in its own process)
to a real Cairn server (gunicorn and a worker, as `make run` starts them):

1. First upload: `add_dir`, `log_artifact`, `wait()` — every file staged (a
   hard link), hashed by the background process as it uploads it, and the
   version committed. Its rate is compared with the loopback disk-to-disk copy
   rate of the same files on this machine (read from disk, sent over a
   loopback TCP connection, written to disk; no hashing, no HTTP) (floor:
   >= 80%), and the CPU-seconds the whole machine spent on each are printed:
   on a machine with few cores the copy's rate is bounded by its CPU time,
   and Cairn's by its own (SHA-256 on both sides, HTTP, the web server).
2. Re-logging the unchanged folder as a new version from a new run, through a
   counting TCP proxy: the seconds and the bytes the agent sent, for the
   whole run (init, the artifact, finish) (floors: <= 5 s, <= 1 MB).

MLflow: `mlflow.log_artifacts` of the same folder to its tracking server
(bench/peers/mlflow_log_artifacts.py, in the peers' environment), twice; the
ratios are printed. The database is DATABASE_URL's (PostgreSQL) or SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from media_bench import Server  # noqa: E402

from tests.tcpproxy import CountingProxy  # noqa: E402

MB = 1024 * 1024


def make_files(folder: Path, n: int, kb: int) -> int:
    folder.mkdir(parents=True)
    total = 0
    for i in range(n):
        sub = folder / f"part{i % 100:02d}"
        sub.mkdir(exist_ok=True)
        data = os.urandom(kb * 1024)
        (sub / f"{i:05d}.bin").write_bytes(data)
        total += len(data)
    return total


def files_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def busy_cpu() -> float:
    """CPU-seconds the whole machine has been busy (every process, the kernel's work for them too)."""
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + t.irq + t.softirq)


def loopback_copy(src: Path, dst: Path) -> float:
    """Seconds to copy every file of `src` into `dst` over one loopback TCP connection."""
    files = files_of(src)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def receive() -> None:
        conn, _ = listener.accept()
        reader = conn.makefile("rb", buffering=1 << 20)
        for i in range(len(files)):
            (size,) = struct.unpack("!Q", reader.read(8))
            with open(dst / f"{i:05d}.bin", "wb") as out:
                left = size
                while left:
                    block = reader.read(min(left, 1 << 20))
                    out.write(block)
                    left -= len(block)
        conn.sendall(b"k")
        conn.close()

    dst.mkdir(parents=True)
    t0 = time.perf_counter()
    thread = threading.Thread(target=receive)
    thread.start()
    with socket.create_connection(("127.0.0.1", port)) as conn:
        for f in files:
            data = f.read_bytes()
            conn.sendall(struct.pack("!Q", len(data)) + data)
        conn.recv(1)
    thread.join()
    listener.close()
    return time.perf_counter() - t0


SCRIPT = """
import json, sys, time
import psutil
import agent
folder = sys.argv[1]
run = agent.init(project="bench")
def busy():  # CPU-seconds the whole machine has been busy: this process, the background one, the server's
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq
c0 = busy()
t0 = time.perf_counter()
art = agent.Artifact("dataset", type="dataset")
art.add_dir(folder)
t1 = time.perf_counter()
run.log_artifact(art)
t2 = time.perf_counter()
art.wait()
t3 = time.perf_counter()
cpu = busy() - c0
run.finish()
print(json.dumps({"version": art.version, "add_dir_s": t1 - t0, "log_s": t2 - t1, "wait_s": t3 - t2,
                  "total_s": t3 - t0, "cpu_s": cpu}))
"""


def log_with_agent(url: str, api_key: str, folder: Path, work: Path, cache: Path) -> dict[str, float]:
    work.mkdir(parents=True, exist_ok=True)
    (work / "log.py").write_text(textwrap.dedent(SCRIPT))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAIRN_", "WANDB_"))}
    env.update(PYTHONPATH=str(ROOT), CAIRN_BASE_URL=url, CAIRN_API_KEY=api_key, CAIRN_ORG="local",
               CAIRN_DIR=str(work), CAIRN_CACHE_DIR=str(cache), CAIRN_QUIET="true")
    out = subprocess.run([sys.executable, str(work / "log.py"), str(folder)], cwd=work, env=env,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    for log in work.rglob("debug.log"):  # the background process's own timings
        for line in log.read_text().splitlines():
            if "files sent" in line:
                print("  " + line.split("] ", 1)[-1], file=sys.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_peer(folder: Path) -> dict[str, float] | None:
    python = ROOT / "bench" / ".venv-peers" / "bin" / "python"
    if not python.exists():
        print("  (no bench/.venv-peers: run bench/setup-peers.sh for MLflow's figure)", file=sys.stderr)
        return None
    out = subprocess.run([str(python), str(ROOT / "bench" / "peers" / "mlflow_log_artifacts.py"), str(folder)],
                         capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        print(f"  (MLflow failed: {out.stderr[-2000:]})", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--kb", type=int, default=100)
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cairn-artbench-") as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "data"
        total = make_files(folder, args.files, args.kb)
        mb = total / MB
        print(f"{args.files} files of {args.kb} KB: {mb:.0f} MB", file=sys.stderr)
        # Each measure starts with the disk's write-back done: otherwise the copy runs while the
        # kernel writes the fresh 1 GB out, and Cairn while it writes the copy's. Nothing is
        # deleted until the end: on ext4 without a journal (this machine's disk) a new file's
        # inode skips those freed in the last 60-300 s, so creating 10,000 files right after
        # deleting 10,000 costs several times more system time, whoever creates them.
        os.sync()
        cpu0 = busy_cpu()
        copy_s = loopback_copy(folder, tmp / "copy")
        copy_cpu = busy_cpu() - cpu0
        os.sync()
        server = Server(tmp / "server", worker=True)
        server.start()
        try:
            first = log_with_agent(server.url, server.api_key, folder, tmp / "run1", tmp / "cache")
            proxy = CountingProxy(server.port)
            again = log_with_agent(f"http://127.0.0.1:{proxy.port}", server.api_key, folder, tmp / "run2", tmp / "cache")
            sent = proxy.sent
        finally:
            server.cleanup()
        peer = None if args.no_peers else bench_peer(folder)
    copy_rate = mb / copy_s
    rate = mb / first["total_s"]
    upload_rate = mb / first["wait_s"]
    print(f"Artifacts, {args.files} files, {mb:.0f} MB (database: "
          f"{'PostgreSQL' if os.environ.get('DATABASE_URL', '').startswith('postgres') else 'SQLite'})")
    print(f"  loopback disk-to-disk copy:      {copy_s:6.2f} s  {copy_rate:6.0f} MB/s")
    cores = os.cpu_count() or 1
    print(f"  Cairn first upload (add_dir + log_artifact + wait): {first['total_s']:6.2f} s  {rate:6.0f} MB/s "
          f"= {rate / copy_rate:.0%} of the copy rate (floor 80%)")
    print(f"    add_dir {first['add_dir_s']:.2f} s, log_artifact (stage) {first['log_s']:.2f} s, "
          f"wait (hash + upload + commit) {first['wait_s']:.2f} s = {upload_rate:.0f} MB/s")
    print(f"    CPU-seconds, whole machine ({cores} cores): the copy {copy_cpu:.2f} ({copy_cpu / copy_s:.2f} cores busy), "
          f"Cairn's first upload {first['cpu_s']:.2f} ({first['cpu_s'] / first['total_s']:.2f} cores busy); "
          f"all {cores} cores busy, Cairn would take {first['cpu_s'] / cores:.2f} s "
          f"= {copy_s / (first['cpu_s'] / cores):.0%} of the copy's time")
    print(f"  Cairn re-log unchanged, new run:  {again['total_s']:6.2f} s (floor 5 s), "
          f"{sent / MB:.2f} MB sent by the whole run (floor 1 MB), version {again['version']} (same content: same version)")
    if peer:
        print(f"  MLflow log_artifacts first:      {peer['first_s']:6.2f} s  {mb / peer['first_s']:6.0f} MB/s"
              f"  -> Cairn is {peer['first_s'] / first['total_s']:.1f}x faster")
        print(f"  MLflow log_artifacts again:      {peer['again_s']:6.2f} s (uploads everything again)"
              f"  -> Cairn is {peer['again_s'] / again['total_s']:.1f}x faster")


if __name__ == "__main__":
    main()
