"""Cost of one log() call in the training process: W&B offline, MLflow async,
Aim local. The peer figures for our agent bench.

Run with the peers' venv (bench/setup-peers.sh makes it):

    bench/.venv-peers/bin/python bench/peers/log_latency.py
    bench/.venv-peers/bin/python bench/peers/log_latency.py --steps 20000 --peers wandb,mlflow

Prints one JSON object on stdout, one section per peer. Per peer:
  - log_p50_us / log_p99_us: wall time of one log() of 10 floats, timed
    steps after warm-up;
  - cpu_per_step_us: CPU (user+system) of the training process and all its
    helper processes from the first timed step to the end of finish()/flush,
    divided by the timed steps; cpu_main_per_step_us is the training
    process alone;
  - init_s: median of 3 init() calls, each in a fresh process against an
    existing store (first_init_s: the one that created the store);
  - helper_rss_bytes: RSS of helper processes (W&B's wandb-core service)
    at the end of the loop, before finish.

MLflow logs fewer steps by default (--mlflow-steps 3000): with its default
settings the async queue hands the store one small batch per step, each its
own SQLite transaction, and draining them runs at ~30-50 steps/s on this
machine, so 20,000 steps would sit ~10 minutes in finish(). Its
cpu_per_step_us and finish_s show that drain. Set
MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS=1 in the environment to measure
MLflow's buffered mode instead (passed through, and reported).

Every measurement runs in a fresh subprocess, so one peer's threads and
helpers cannot bleed into another's figures, and a peer that fails is
reported with its error instead of ending the run. Defaults are each tool's
out-of-the-box settings (W&B system-metrics sampling and Aim system tracking
stay on), except that nothing may reach the network.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    MachineLoad,
    apply_quiet_env,
    emit,
    log,
    median,
    percentile,
    quiet_env,
    tree,
    tree_cpu,
    tree_rss,
)

__all__ = ["PEERS", "measure_peer", "run_all"]

PEERS = ("wandb", "mlflow", "aim")
KEYS = [f"m{i}" for i in range(10)]
HERE = Path(__file__).resolve()
BENCH = HERE.parent.parent


# --- worker side: one peer, in this process ------------------------------------


class Peer:
    """init() starts a run, log() records one step, finish() flushes and ends."""

    def __init__(self, store: Path) -> None:
        self.store = store

    def init(self) -> None: ...
    def log(self, values: dict[str, float], step: int) -> None: ...
    def finish(self) -> None: ...

    def drain(self) -> None:
        """After warm-up: let background writers catch up, so the timed
        window pays only for its own steps."""

    def close(self) -> None:
        """After the figures: stop helpers so none outlives the worker."""


class WandbPeer(Peer):
    def __init__(self, store: Path) -> None:
        super().__init__(store)
        import wandb

        self.wandb = wandb

    def init(self) -> None:
        self.run = self.wandb.init(mode="offline", dir=str(self.store), project="cairn-bench")

    def log(self, values: dict[str, float], step: int) -> None:
        self.run.log(values, step=step)

    def finish(self) -> None:
        self.run.finish()  # waits until wandb-core has written everything

    def close(self) -> None:
        self.wandb.teardown()  # ends the wandb-core service process


class MlflowPeer(Peer):
    def __init__(self, store: Path) -> None:
        super().__init__(store)
        import mlflow

        self.mlflow = mlflow
        # SQLite: MLflow 3.x's default local backend; no server involved.
        mlflow.set_tracking_uri(f"sqlite:///{store / 'mlflow.db'}")
        mlflow.config.enable_async_logging(True)  # type: ignore[no-untyped-call]

    def init(self) -> None:
        self.mlflow.set_experiment("cairn-bench")
        self.run = self.mlflow.start_run()

    def log(self, values: dict[str, float], step: int) -> None:
        self.mlflow.log_metrics(values, step=step)

    def drain(self) -> None:
        self.mlflow.flush_async_logging()

    def finish(self) -> None:
        # flush first: end_run only stops the queue, it does not wait for the writes.
        self.mlflow.flush_async_logging()
        self.mlflow.end_run()


class AimPeer(Peer):
    def __init__(self, store: Path) -> None:
        super().__init__(store)
        import aim

        self.aim = aim

    def init(self) -> None:
        self.run = self.aim.Run(repo=str(self.store / "aim"), experiment="cairn-bench")  # type: ignore[attr-defined]  # lazy export

    def log(self, values: dict[str, float], step: int) -> None:
        self.run.track(values, step=step)  # a dict: all 10 values in one call

    def finish(self) -> None:
        self.run.close()


FACTORIES: dict[str, Callable[[Path], Peer]] = {"wandb": WandbPeer, "mlflow": MlflowPeer, "aim": AimPeer}


def _version(peer: str) -> str:
    from importlib import metadata

    return metadata.version(peer)


def worker_init(peer: str, store: Path) -> dict[str, Any]:
    """Time one init() in this (fresh) process; end the run so the store stays usable."""
    t0 = time.perf_counter()
    p = FACTORIES[peer](store)
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    p.init()
    init_s = time.perf_counter() - t0
    p.finish()
    p.close()
    return {"init_s": init_s, "import_s": import_s}


def worker_latency(peer: str, store: Path, steps: int, warmup: int) -> dict[str, Any]:
    import numpy as np

    me = psutil.Process()
    # Values made up front: the timed loop holds nothing but the log() call.
    rows = np.random.default_rng(0).random((warmup + steps, len(KEYS))).tolist()
    data = [dict(zip(KEYS, r)) for r in rows]

    p = FACTORIES[peer](store)
    t0 = time.perf_counter()
    p.init()
    init_s = time.perf_counter() - t0
    for i in range(warmup):
        p.log(data[i], step=i)
    p.drain()

    lat_ns = [0] * steps
    clock = time.perf_counter_ns
    cpu0, main0, wall0 = tree_cpu(me), _self_cpu(me), time.perf_counter()
    for i in range(steps):
        t = clock()
        p.log(data[warmup + i], step=warmup + i)
        lat_ns[i] = clock() - t
    loop_s = time.perf_counter() - wall0
    helpers = [q for q in tree(me) if q.pid != me.pid]
    helper_rss = tree_rss(me, include_root=False)
    main_rss = me.memory_info().rss
    t0 = time.perf_counter()
    p.finish()
    finish_s = time.perf_counter() - t0
    # Helpers (wandb-core) are still alive here, so their CPU is counted live.
    cpu1, main1, wall1 = tree_cpu(me), _self_cpu(me), time.perf_counter()
    p.close()

    us = [x / 1000 for x in lat_ns]
    return {
        "steps": steps,
        "warmup_steps": warmup,
        "values_per_step": len(KEYS),
        "log_p50_us": round(percentile(us, 50), 1),
        "log_p90_us": round(percentile(us, 90), 1),
        "log_p99_us": round(percentile(us, 99), 1),
        "log_max_us": round(max(us), 1),
        "log_mean_us": round(sum(us) / len(us), 1),
        "loop_s": round(loop_s, 3),
        "finish_s": round(finish_s, 3),
        "wall_per_step_us": round((wall1 - wall0) / steps * 1e6, 1),  # loop + finish
        "cpu_per_step_us": round((cpu1 - cpu0) / steps * 1e6, 1),
        "cpu_main_per_step_us": round((main1 - main0) / steps * 1e6, 1),
        "cpu_helpers_per_step_us": round(((cpu1 - cpu0) - (main1 - main0)) / steps * 1e6, 1),
        "helper_processes": len(helpers),
        "helper_rss_bytes": helper_rss,
        "main_rss_bytes": main_rss,
        "latency_run_init_s": round(init_s, 3),
    }


def _self_cpu(p: psutil.Process) -> float:
    t = p.cpu_times()
    return float(t.user + t.system)


# --- coordinator side -------------------------------------------------------------


def _python_for(peer: str) -> str:
    """The peers' venv; Aim from bench/.venv-aim when setup had to put it there."""
    if peer == "aim":
        alt = BENCH / ".venv-aim" / "bin" / "python"
        if alt.exists():
            return str(alt)
    return sys.executable


def _spawn(peer: str, args: list[str], timeout_s: float) -> dict[str, Any]:
    cmd = [_python_for(peer), str(HERE), "--worker", peer, *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=quiet_env())
    last = r.stdout.strip().splitlines()[-1:] if r.stdout.strip() else []
    if r.returncode != 0 or not last:
        raise RuntimeError(f"exit {r.returncode}: {(r.stderr or r.stdout).strip()[-2000:]}")
    out: dict[str, Any] = json.loads(last[0])
    if "error" in out:
        raise RuntimeError(out["error"])
    return out


def measure_peer(peer: str, *, steps: int = 20_000, warmup: int = 500, inits: int = 3,
                 timeout_s: float = 600.0) -> dict[str, Any]:  # fmt: skip
    """All figures for one peer; {'error': ...} instead of raising."""
    out: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory(prefix=f"cairn-bench-{peer}-") as d:
            log(f"{peer}: first init (creates the store)")
            first = _spawn(peer, ["--mode", "init", "--store", d], timeout_s)
            out["version"] = first.pop("version")
            out["first_init_s"] = round(first["init_s"], 3)
            times, imports = [], []
            for _ in range(inits):
                r = _spawn(peer, ["--mode", "init", "--store", d], timeout_s)
                times.append(r["init_s"])
                imports.append(r["import_s"])
            out["init_s"] = round(median(times), 3)
            out["init_s_all"] = [round(t, 3) for t in times]
            out["import_s"] = round(median(imports), 3)
            log(f"{peer}: {steps} timed log() calls")
            r = _spawn(peer, ["--mode", "latency", "--store", d, "--steps", str(steps),
                              "--warmup", str(warmup)], timeout_s)  # fmt: skip
            r.pop("version", None)
            out.update(r)
    except Exception as e:  # a broken peer is a reported result, not a crash
        out["error"] = f"{type(e).__name__}: {e}"
        log(f"{peer}: failed: {out['error'][:300]}")
    return out


def run_all(*, peers: tuple[str, ...] = PEERS, steps: int = 20_000, warmup: int = 500,
            inits: int = 3, mlflow_steps: int = 3000) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {"steps": steps, "warmup_steps": warmup}
    for peer in peers:
        load = MachineLoad()
        n = mlflow_steps if peer == "mlflow" else steps
        out[peer] = measure_peer(peer, steps=n, warmup=warmup, inits=inits)
        if peer == "mlflow":
            out[peer]["async_buffering_s"] = os.environ.get("MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS")
        out[peer].update(load.result())
    return out


def main(argv: list[str] | None = None) -> int:
    apply_quiet_env()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of " + ",".join(PEERS))
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--inits", type=int, default=3)
    ap.add_argument("--mlflow-steps", type=int, default=3000, help="MLflow's timed steps (see above)")
    # Internal: one measurement of one peer in this process.
    ap.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=("init", "latency"), help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        try:
            store = Path(args.store)
            if args.mode == "init":
                res = worker_init(args.worker, store)
            else:
                res = worker_latency(args.worker, store, args.steps, args.warmup)
            res["version"] = _version(args.worker)
        except Exception as e:
            import traceback

            traceback.print_exc()
            res = {"error": f"{type(e).__name__}: {e}"}
        emit(res)
        return 0

    peers = tuple(p.strip() for p in args.peers.split(",") if p.strip())
    unknown = set(peers) - set(PEERS)
    if unknown:
        ap.error(f"unknown peers: {sorted(unknown)}")
    emit(run_all(peers=peers, steps=args.steps, warmup=args.warmup, inits=args.inits,
                 mlflow_steps=args.mlflow_steps))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
