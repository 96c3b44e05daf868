"""Helpers shared by the peer benchmarks: quiet environment, process-tree
accounting, statistics, JSON output.

Runs under the peers' venv (bench/.venv-peers), never our server's .venv.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import psutil

# No peer may reach the internet or print banners into our JSON output.
QUIET_ENV: dict[str, str] = {
    "WANDB_MODE": "offline",
    "WANDB_SILENT": "true",
    "WANDB_DISABLE_GIT": "true",
    "WANDB_DISABLE_CODE": "true",
    "WANDB_CONSOLE": "off",  # no stdout capture: it would slow log() and touch our JSON
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    "AIM_UI_TELEMETRY_ENABLED": "0",
    "GIT_PYTHON_REFRESH": "quiet",
}


def quiet_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of `base` (default: os.environ) with every peer's telemetry off."""
    env = dict(os.environ if base is None else base)
    env.update(QUIET_ENV)
    return env


def apply_quiet_env() -> None:
    """For the CLI entry points only: they are whole processes of their own,
    and the peers read these variables at import time, before any argument of
    ours could reach them."""
    os.environ.update(QUIET_ENV)


def tree(root: psutil.Process) -> list[psutil.Process]:
    """The process and all its live descendants."""
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_rss(root: psutil.Process, *, include_root: bool = True) -> int:
    """Sum of RSS over the tree (shared pages counted per process, as `ps` would)."""
    total = 0
    for p in tree(root):
        if p.pid == root.pid and not include_root:
            continue
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass  # exited between listing and reading
    return total


def tree_cpu(root: psutil.Process) -> float:
    """CPU seconds (user+system) spent by the tree, including descendants that
    have already exited and been reaped (their time sits in the parent's
    children_user/children_system), so a helper that quits during finish()
    still counts."""
    total = 0.0
    for p in tree(root):
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


class MachineLoad:
    """How busy the whole machine was while a measurement ran.

    Other work on this 2-core machine (a test suite, a build) slows every
    figure; recording it lets a reader spot a contaminated run."""

    def __init__(self) -> None:
        self.load_start = os.getloadavg()[0]
        self._t0 = psutil.cpu_times()

    def result(self) -> dict[str, Any]:
        t1 = psutil.cpu_times()
        busy = (t1.user + t1.system + t1.nice + t1.irq + t1.softirq + t1.steal) - (
            self._t0.user + self._t0.system + self._t0.nice + self._t0.irq + self._t0.softirq + self._t0.steal
        )
        total = busy + (t1.idle + t1.iowait) - (self._t0.idle + self._t0.iowait)
        return {
            "machine_cpus": os.cpu_count(),
            "machine_load1_start": round(self.load_start, 2),
            "machine_load1_end": round(os.getloadavg()[0], 2),
            "machine_cpu_busy_pct": round(100.0 * busy / total, 1) if total > 0 else None,
        }


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def percentile(xs: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: a p99 is a latency that
    really happened)."""
    s = sorted(xs)
    if not s:
        raise ValueError("no samples")
    k = max(0, min(len(s) - 1, math.ceil(q / 100.0 * len(s)) - 1))
    return float(s[k])


def emit(obj: dict[str, Any]) -> None:
    """The one JSON object on stdout that our bench scripts parse."""
    sys.stdout.write(json.dumps(obj, sort_keys=False) + "\n")
    sys.stdout.flush()


def log(msg: str) -> None:
    """Progress goes to stderr so stdout stays one JSON object."""
    print(f"[peers] {msg}", file=sys.stderr, flush=True)
