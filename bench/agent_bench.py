"""Agent benchmarks, Cairn beside wandb (offline), MLflow (async) and Aim, from one run.

    .venv/bin/python bench/agent_bench.py [--steps 100000] [--million 1000000] [--no-peers]

Our side runs training scripts in subprocesses, as users do; the peers run in
their own environment (bench/setup-peers.sh, bench/peers/log_latency.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.serverproc import ServerProcess  # noqa: E402

PROC_HELPERS = """
import os
def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as fh:
        f = fh.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def proc_kb(pid, field):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1])
    return 0
"""

# log() latency, CPU per step and finish() of an offline run.
OFFLINE = PROC_HELPERS + """
import sys, time, json
t0 = time.perf_counter(); import agent; t_import = time.perf_counter() - t0
steps = int(sys.argv[1])
t0 = time.perf_counter()
run = agent.init(project="bench", mode="offline", settings={"quiet": True, "capture_console": False})
t_init = time.perf_counter() - t0
svc = run._process.proc.pid
data = {f"k{i}": i * 0.5 for i in range(10)}
pc = time.perf_counter_ns
for i in range(5000):
    run.log(data)
cpu0, svc0 = time.process_time(), proc_cpu(svc)
lat = [0] * steps
for i in range(steps):
    a = pc(); run.log(data); lat[i] = pc() - a
t0 = time.perf_counter()
run.finish(quiet=True)
t_finish = time.perf_counter() - t0
cpu = (time.process_time() - cpu0) + (proc_cpu(svc) - svc0 if os.path.exists(f"/proc/{svc}") else 0)
lat.sort()
print(json.dumps({"import_s": t_import, "init_s": t_init, "p50_us": lat[steps // 2] / 1e3,
                  "p99_us": lat[int(steps * .99)] / 1e3, "cpu_us_per_step": cpu / steps * 1e6,
                  "finish_s": t_finish}))
"""

# One million steps at full speed, online: memory of both processes, CPU.
MILLION = PROC_HELPERS + """
import sys, time, json, threading
import agent
steps = int(sys.argv[1])
run = agent.init(project="bench", id="million", settings={"quiet": True, "capture_console": False, "finish_timeout": 600})
svc = run._process.proc.pid
peak = [0]
def watch():
    while True:
        try: peak[0] = max(peak[0], proc_kb(svc, "VmRSS"))
        except OSError: return
        time.sleep(0.2)
threading.Thread(target=watch, daemon=True).start()
data = {f"k{i}": i * 0.5 for i in range(10)}
rss0 = proc_kb(os.getpid(), "VmRSS")
cpu0, svc0 = time.process_time(), proc_cpu(svc)
t0 = time.perf_counter()
for i in range(steps):
    data["k0"] = i * 1e-3
    run.log(data)
t_log = time.perf_counter() - t0
rss1 = proc_kb(os.getpid(), "VmRSS")
svc_cpu = proc_cpu(svc) - svc0
t0 = time.perf_counter()
run.finish(quiet=True)
t_finish = time.perf_counter() - t0
cpu = (time.process_time() - cpu0) + svc_cpu
print(json.dumps({"log_s": t_log, "finish_s": t_finish, "train_rss_growth_mb": (rss1 - rss0) / 1024,
                  "service_peak_rss_mb": peak[0] / 1024, "cpu_us_per_step_with_upload": cpu / steps * 1e6}))
"""

# 10,000 steps/s × 10 scalars, paced, for a while: does the upload keep up?
SUSTAINED = """
import sys, time, json
import agent
rate, seconds = int(sys.argv[1]), float(sys.argv[2])
run = agent.init(project="bench", id="sustained", settings={"quiet": True, "capture_console": False})
data = {f"k{i}": i * 0.5 for i in range(10)}
t0 = time.perf_counter(); n = 0
while True:
    elapsed = time.perf_counter() - t0
    if elapsed >= seconds: break
    due = int(elapsed * rate)
    while n < due:
        run.log(data); n += 1
    time.sleep(0.001)
print(json.dumps({"logged": n, "logged_at": time.time()}), flush=True)
time.sleep(float(sys.argv[3]))
run.finish(quiet=True)
"""


def script(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(textwrap.dedent(text))
    return path


def run_json(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 1800) -> dict[str, Any]:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def ours(steps: int, million: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        env = dict(os.environ, PYTHONPATH=str(ROOT), CAIRN_DIR=str(tmp))
        offline = script(tmp, "offline.py", OFFLINE)
        runs = [run_json([sys.executable, str(offline), str(steps)], tmp, env) for _ in range(3)]
        results["offline"] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        server = ServerProcess(tmp / "server")
        server.start()
        try:
            env.update(CAIRN_BASE_URL=server.url, CAIRN_API_KEY=server.api_key, CAIRN_MODE="online")
            results["million"] = run_json([sys.executable, str(script(tmp, "million.py", MILLION)), str(million)], tmp, env)
            api = requests.Session()
            api.headers["Authorization"] = f"Bearer {server.api_key}"
            base = f"{server.url}/api/v1/projects/local/bench/runs"
            results["million"]["rows_on_server"] = api.get(f"{base}/million").json()["streams"]["history"]
            results["sustained"] = sustained(env, tmp, api, f"{base}/sustained")
        finally:
            server.cleanup()
    return results


def sustained(env: dict[str, str], tmp: Path, api: requests.Session, url: str, rate: int = 10_000, seconds: float = 30) -> dict[str, Any]:
    """Log at `rate` steps/s; sample the server's row count; report the lag at the end."""
    proc = subprocess.Popen([sys.executable, str(script(tmp, "sustained.py", SUSTAINED)), str(rate), str(seconds), "10"],
                            cwd=tmp, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    done = json.loads(line)
    lag_at_end = done["logged"] - api.get(url).json()["streams"]["history"]
    caught_up = None
    while time.time() - done["logged_at"] < 10:
        if api.get(url).json()["streams"]["history"] >= done["logged"]:
            caught_up = time.time() - done["logged_at"]
            break
        time.sleep(0.1)
    proc.wait(timeout=120)
    return {"rate": rate, "seconds": seconds, "logged": done["logged"],
            "lag_rows_when_logging_stopped": lag_at_end, "caught_up_after_s": caught_up}


def peers(steps: int) -> dict[str, Any]:
    py = ROOT / "bench" / ".venv-peers" / "bin" / "python"
    if not py.exists():
        return {"error": "bench/.venv-peers missing: run bench/setup-peers.sh"}
    out = subprocess.run([str(py), str(ROOT / "bench" / "peers" / "log_latency.py"), "--steps", str(steps)],
                         capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        return {"error": out.stderr[-2000:]}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--million", type=int, default=1_000_000)
    ap.add_argument("--peer-steps", type=int, default=20_000)
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    results = {"cairn": ours(args.steps, args.million)}
    results["peers"] = {} if args.no_peers else peers(args.peer_steps)
    print(json.dumps(results, indent=2))
    report(results)


def report(r: dict[str, Any]) -> None:
    off, mil, sus = r["cairn"]["offline"], r["cairn"]["million"], r["cairn"]["sustained"]
    p = r.get("peers", {})

    def peer(name: str, key: str) -> float | None:
        v = p.get(name, {}) if isinstance(p.get(name), dict) else {}
        return v.get(key)

    def fmt(v: float | None, scale: float = 1, digits: int = 0) -> str:
        return "n/a" if v is None else f"{v * scale:,.{digits}f}"

    def ratio(theirs: float | None, mine: float) -> str:
        return f"{theirs / mine:.0f}×" if theirs and mine else "n/a"

    print("\n| measure | Cairn | wandb offline | MLflow async | Aim | floor |\n| --- | --- | --- | --- | --- | --- |")
    rows = [
        ("log() of 10 floats, p50 (µs)", off["p50_us"], "log_p50_us", 1, 1, "≤ 5 µs, ≥ 30× below wandb"),
        ("log() of 10 floats, p99 (µs)", off["p99_us"], "log_p99_us", 1, 1, "≤ 50 µs"),
        ("CPU per step, all processes (µs)", off["cpu_us_per_step"], "cpu_per_step_us", 1, 1, "≤ 20 µs, ≥ 15× below wandb"),
        ("init() (s)", off["init_s"], "init_s", 1, 3, "≤ 0.3 s"),
    ]
    for name, mine, key, scale, digits, floor in rows:
        w, m, a = peer("wandb", key), peer("mlflow", key), peer("aim", key)
        print(f"| {name} | {fmt(mine, scale, digits)} | {fmt(w, scale, digits)} ({ratio(w, mine)}) | "
              f"{fmt(m, scale, digits)} ({ratio(m, mine)}) | {fmt(a, scale, digits)} ({ratio(a, mine)}) | {floor} |")
    print(f"| import agent (s) | {off['import_s']:.3f} | | | | ≤ 0.1 s |")
    print(f"| finish() of an offline run of 100,000 steps (s) | {off['finish_s']:.2f} | | | | ≤ 1 s |")
    print(f"| 1M steps online: training process RSS growth (MB) | {mil['train_rss_growth_mb']:.1f} | | | | ≤ 20 MB |")
    print(f"| 1M steps online: background process peak RSS (MB) | {mil['service_peak_rss_mb']:.0f} | "
          f"{fmt(peer('wandb', 'helper_rss_bytes'), 1e-6)} (its helper) | | | ≤ 60 MB |")
    print(f"| 1M steps online: rows on the server after finish() | {mil['rows_on_server']:,} | | | | 1,000,000 |")
    print(f"| 1M steps online: CPU per step incl. upload (µs) | {mil['cpu_us_per_step_with_upload']:.1f} | | | | |")
    print(f"| Upload at {sus['rate']:,} steps/s × 10 scalars for {sus['seconds']:.0f} s: rows behind when logging stopped | "
          f"{sus['lag_rows_when_logging_stopped']:,} (caught up {fmt(sus['caught_up_after_s'], 1, 1)} s later) | | | | keeps up |")


if __name__ == "__main__":
    main()
