"""Sweep benchmarks, each beside its peer measured in the same run.

    .venv/bin/python bench/sweeps_bench.py [--seeds 20] [--agents 20] [--skip-agents]

In-process, on a fresh PostgreSQL database (BENCH_DATABASE_URL):

- next-suggestion latency, server time (the service the API calls, without
  HTTP): bayes with 1,000 finished runs of 10 parameters (the first ask of a
  web process, which rebuilds the study from the stored trials, and the asks
  after it), grid and random with 1,000 runs; the peer: Optuna's own TPE
  `ask` on a study holding the same 1,000 trials.
- search quality on Branin (2-D), Hartmann-6 and a noisy 5-D quadratic,
  `--seeds` sweeps each: how many trials Cairn's bayes needs to reach the best
  value random search finds in 100 (median), and the best value after 100
  trials of Cairn's bayes, random, and Optuna's TPE run directly.
- hyperband: 20 runs of 27 iterations, half hopeless, logged in lockstep with
  the early-termination check between iterations: total steps with and
  without it, and whether the best run was kept.

Against a real server (gunicorn + Celery worker, tests/serverproc.py):
`--agents` `cairn agent` processes on one grid sweep with run_cap 50: no
grid point twice, every suggestion run, exactly run_cap runs.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _setup_django() -> str:
    import psycopg

    name = f"cairn_sweepbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="webapp.settings", DATABASE_URL=PG.rsplit("/", 1)[0] + "/" + name,
        CAIRN_SECRET_KEY="bench", CAIRN_TASKS_EAGER="true",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return name


def _drop(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(PG, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _project() -> Any:
    from django.contrib.auth import get_user_model

    from apps.orgs.services import org_create
    from apps.runs.models import Project

    user = get_user_model().objects.create_user(username=f"b{uuid.uuid4().hex[:6]}", password="x")
    org = org_create(slug=f"o{uuid.uuid4().hex[:6]}", name="bench", owner=user)
    return Project.objects.create(organization=org, slug="bench", name="bench"), user


def _ms(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1000:.1f} ms (p90 {sorted(xs)[int(len(xs) * 0.9)] * 1000:.1f})"


# --- latency ------------------------------------------------------------------


def bench_latency() -> None:
    import optuna

    from apps.sweeps import search, services
    from apps.sweeps.models import SweepRun

    project, user = _project()
    params = {f"p{i}": {"distribution": "uniform", "min": 0.0, "max": 1.0} for i in range(7)}
    params.update(lr={"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1}, bs={"values": [16, 32, 64, 128]}, layers={"min": 1, "max": 8})
    rng = random.Random(0)

    def seeded(method: str, extra: dict[str, Any]) -> Any:
        sweep = services.sweep_create(project=project, user=user, data={"config": {"method": method, "metric": {"name": "loss"}, "parameters": extra}})
        cfg = services.sweep_config(sweep)
        rows = []
        for i in range(1000):
            raw = {p.name: p.draw(rng) for p in cfg.params}
            grid = None
            if method == "grid":
                grid, raw = i, __import__("apps.sweeps.space", fromlist=["grid_point"]).grid_point(cfg.params, i)
            rows.append(SweepRun(sweep=sweep, run_id=f"r{i}", raw=raw, params={}, grid_index=grid, state="finished", metric=rng.random()))
        SweepRun.objects.bulk_create(rows)
        return sweep

    cpu: dict[str, list[float]] = {}

    def timed(sweep: Any, n: int) -> list[float]:
        out = []
        for _ in range(n):
            t, c = time.perf_counter(), time.process_time()
            assert services.sweep_next(sweep=sweep).action == "run"
            out.append(time.perf_counter() - t)
            cpu.setdefault(sweep.method, []).append(time.process_time() - c)
        return out

    bayes = seeded("bayes", params)
    search._CACHE.clear()
    cold = timed(bayes, 1)[0]
    warm = timed(bayes, 20)
    # A process that asks this sweep for the first time each time: the study rebuilt from all trials.
    colds = []
    for _ in range(5):
        search._CACHE.clear()
        colds.append(timed(bayes, 1)[0])
    grid_params = {f"g{i}": {"values": list(range(10))} for i in range(4)}
    grid = seeded("grid", grid_params)
    rand = seeded("random", params)
    g, r = timed(grid, 50), timed(rand, 50)
    # The peer: Optuna's TPE asked directly, its study already holding the same 1,000 trials.
    cfg = services.sweep_config(bayes)
    dists = search._distributions(cfg.params)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1, constant_liar=True))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for raw, metric in SweepRun.objects.filter(sweep=bayes, state="finished").values_list("raw", "metric")[:1000]:
        study.add_trial(optuna.trial.create_trial(params=raw, distributions=dists, value=metric))
    peer = []
    for _ in range(20):
        t = time.perf_counter()
        trial = study.ask(dists)
        peer.append(time.perf_counter() - t)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    print("## Next suggestion, server time (1,000 finished runs; bayes: 10 parameters)")
    print(f"bayes, warm (the process asked this sweep before): {_ms(warm)}   floor 100 ms")
    print(f"bayes, cold (first ask in a process: study rebuilt): {_ms(colds)} (first of all {cold * 1000:.0f} ms)")
    print(f"peer, Optuna TPE ask on a study in memory:          {_ms(peer)}   Cairn warm / peer = {statistics.median(warm) / statistics.median(peer):.2f}")
    print(f"grid (10,000-point grid):                            {_ms(g)}   floor 10 ms")
    print(f"random:                                              {_ms(r)}   floor 10 ms")
    print("of which this process's CPU (the rest is waiting on PostgreSQL: 3-4 statements and a commit): "
          + ", ".join(f"{m} {statistics.median(v) * 1000:.1f} ms" for m, v in cpu.items()))


# --- search quality ---------------------------------------------------------------

def branin(p: dict[str, float]) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
_H6_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
_H6_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(p: dict[str, float]) -> float:
    x = [p[f"x{i}"] for i in range(6)]
    return -sum(a * math.exp(-sum(_H6_A[i][j] * (x[j] - _H6_P[i][j] * 1e-4) ** 2 for j in range(6))) for i, a in enumerate(_H6_ALPHA))


_NOISE = random.Random(7)


def noisy_quadratic(p: dict[str, float]) -> float:
    return sum((p[f"x{i}"] - 0.3) ** 2 for i in range(5)) + _NOISE.gauss(0, 0.01)


PROBLEMS: list[tuple[str, Callable[[dict[str, float]], float], dict[str, Any]]] = [
    ("Branin", branin, {"x1": {"min": -5.0, "max": 10.0}, "x2": {"min": 0.0, "max": 15.0}}),
    ("Hartmann-6", hartmann6, {f"x{i}": {"min": 0.0, "max": 1.0} for i in range(6)}),
    ("noisy quadratic (5-D)", noisy_quadratic, {f"x{i}": {"min": -1.0, "max": 1.0} for i in range(5)}),
]


def _cairn_curve(project: Any, user: Any, method: str, fn: Callable[[dict[str, float]], float], params: dict[str, Any], n: int) -> list[float]:
    from apps.sweeps import services
    from apps.sweeps.models import SweepRun

    sweep = services.sweep_create(project=project, user=user, data={"config": {"method": method, "metric": {"name": "y"}, "parameters": params}})
    best, curve = math.inf, []
    for _ in range(n):
        trial = services.sweep_next(sweep=sweep).trial
        y = fn(trial.params)
        SweepRun.objects.filter(pk=trial.pk).update(state="finished", metric=y)
        best = min(best, y)
        curve.append(best)
    return curve


def _optuna_best(fn: Callable[[dict[str, float]], float], params: dict[str, Any], n: int, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(lambda t: fn({k: t.suggest_float(k, v["min"], v["max"]) for k, v in params.items()}), n_trials=n)
    return float(study.best_value)


def bench_quality(seeds: int) -> None:
    project, user = _project()
    print(f"\n## Search quality, {seeds} sweeps each (lower is better)")
    print("| function | bayes trials to random's best of 100 (median; floor <= 40) | best after 100: Cairn bayes | random | Optuna TPE direct |")
    print("|---|---|---|---|---|")
    for name, fn, params in PROBLEMS:
        reach, b100, r100, o100 = [], [], [], []
        for seed in range(seeds):
            random.seed(seed)
            rand = _cairn_curve(project, user, "random", fn, params, 100)
            bayes = _cairn_curve(project, user, "bayes", fn, params, 100)
            target = rand[-1]
            reach.append(next((i + 1 for i, v in enumerate(bayes) if v <= target), 101))
            b100.append(bayes[-1])
            r100.append(rand[-1])
            o100.append(_optuna_best(fn, params, 100, seed))
        print(f"| {name} | {statistics.median(reach):.0f} | {statistics.median(b100):.4f} | {statistics.median(r100):.4f} | {statistics.median(o100):.4f} |")


# --- hyperband ----------------------------------------------------------------------

def bench_hyperband() -> None:
    from apps.runs import services as run_services
    from apps.runs.models import Stream
    from apps.sweeps import hyperband, services
    from apps.sweeps.models import SweepRun

    project, user = _project()
    sweep = services.sweep_create(project=project, user=user, data={"config": {
        "method": "random", "metric": {"name": "loss"}, "parameters": {"x": {"min": 0.0, "max": 1.0}},
        "early_terminate": {"type": "hyperband", "min_iter": 3, "eta": 3},
    }})
    iters, n = 27, 20
    trials = [services.sweep_next(sweep=sweep).trial for _ in range(n)]
    rng = random.Random(3)
    # Half learn (loss falls towards 0.1-0.3), half are hopeless (stuck near 2).
    finals = {t.run_id: (rng.uniform(0.1, 0.3) if i % 2 == 0 else rng.uniform(1.8, 2.2)) for i, t in enumerate(trials)}
    runs = {t.run_id: run_services.run_upsert(project=project, run_id=t.run_id, user=user, data={"sweep": sweep.sweep_id}).run for t in trials}
    steps = {r: 0 for r in runs}
    for it in range(iters):
        stopped = set(SweepRun.objects.filter(sweep=sweep, stop_requested=True).values_list("run_id", flat=True))
        for run_id, run in runs.items():
            if run_id in stopped:
                continue
            loss = finals[run_id] + 2.0 / (it + 1)
            run_services.stream_append(run=run, stream=Stream.HISTORY, offset=it, records=[{"step": it, "time": 1.0 + it, "data": {"loss": loss}}])
            steps[run_id] += 1
        hyperband.sweep_early_terminate(sweep_pk=sweep.pk)
    total, without = sum(steps.values()), n * iters
    best = min(finals, key=lambda r: finals[r])
    hopeless_stopped = sum(1 for r, s in steps.items() if finals[r] > 1 and s < iters)
    print("\n## Hyperband (20 runs x 27 iterations, half hopeless; min_iter 3, eta 3)")
    print(f"steps: {total} with early termination, {without} without: {100 * (1 - total / without):.0f}% saved (floor 40%)")
    print(f"hopeless runs stopped: {hopeless_stopped} of {n // 2}; best run kept to the end: {steps[best] == iters}")


# --- 20 agents ------------------------------------------------------------------------

TRAIN = """
import agent, time
with agent.init() as run:
    agent.log({"loss": run.config.x / 100})
"""


def bench_agents(n_agents: int) -> None:
    import requests

    from tests.serverproc import ServerProcess

    os.environ["DATABASE_URL"] = PG
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp) / "server", extra_env={"CAIRN_WEB_WORKERS": "2"})
        server.start()
        try:
            work = Path(tmp) / "work"
            work.mkdir()
            (work / "train.py").write_text(textwrap.dedent(TRAIN))
            points = ", ".join(map(str, range(60)))
            (work / "sweep.yaml").write_text(f"program: train.py\nmethod: grid\nrun_cap: 50\nparameters:\n  x: {{values: [{points}]}}\n")
            env = dict(os.environ, PYTHONPATH=str(ROOT), CAIRN_BASE_URL=server.url, CAIRN_API_KEY=server.api_key, CAIRN_ORG=server.org,
                       CAIRN_QUIET="true", CAIRN_AGENT_HEARTBEAT="2")
            env.pop("DATABASE_URL", None)
            agent_python = str(ROOT / ".venv-agent-3.13" / "bin" / "python") if (ROOT / ".venv-agent-3.13").exists() else sys.executable
            made = subprocess.run([agent_python, "-m", "agent.cli", "sweep", "sweep.yaml", "--project", "agents"], cwd=work, env=env, capture_output=True, text=True, check=True)
            path = made.stdout.strip()
            t = time.monotonic()
            procs = [subprocess.Popen([agent_python, "-m", "agent.cli", "agent", path], cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(n_agents)]
            codes = [p.wait(timeout=1200) for p in procs]
            took = time.monotonic() - t
            org, project, sweep_id = path.split("/")
            api = f"{server.url}/api/v1/projects/{org}/{project}/sweeps/{sweep_id}"
            h = {"Authorization": f"Bearer {server.api_key}"}
            trials = requests.get(f"{api}/runs", headers=h, timeout=60).json()["results"]
            state = requests.get(api, headers=h, timeout=60).json()["state"]
            xs = [t["params"]["x"] for t in trials]
            print(f"\n## {n_agents} agent processes, one grid sweep of 60 points, run_cap 50")
            print(f"agents exited 0: {codes.count(0)}/{n_agents}; runs: {len(trials)} (run_cap 50); distinct grid points: {len(set(xs))}; "
                  f"suggestions never run: {sum(1 for t in trials if t['run_state'] is None)}; finished: {sum(1 for t in trials if t['state'] == 'finished')}; "
                  f"sweep {state}; {took:.0f} s")
        finally:
            server.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--agents", type=int, default=20)
    ap.add_argument("--skip-agents", action="store_true")
    ap.add_argument("--only", choices=["latency", "quality", "hyperband", "agents"])
    args = ap.parse_args()
    name = _setup_django()
    try:
        if args.only in (None, "latency"):
            bench_latency()
        if args.only in (None, "hyperband"):
            bench_hyperband()
        if args.only in (None, "quality"):
            bench_quality(args.seeds)
    finally:
        _drop(name)
    if not args.skip_agents and args.only in (None, "agents"):
        bench_agents(args.agents)


if __name__ == "__main__":
    main()
