"""Early termination: W&B's `early_terminate: {type: hyperband, ...}`.

Brackets are iterations of the metric (the n-th time a run logged it):
`min_iter * eta**k` upwards when `min_iter` is given, else `max_iter / eta**k`
for k < s. At each bracket, a run whose best value so far is outside the best
1/eta of the sweep's runs that reached that bracket is stopped: marked here,
stopped by its agent at its next heartbeat (SIGTERM, then SIGKILL).

Each run's value at a bracket is fixed once it passed it, so it is kept on
the trial (`bands`) and only the running runs' histories are read per check.
"""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction

from apps.runs import selectors as run_selectors
from apps.runs.models import Stream
from apps.sweeps.config import config_parse
from apps.sweeps.models import Sweep, SweepRun, SweepState, TrialState

MAX_BRACKETS = 32
MAX_ITER = 1_000_000


def brackets(hb: dict[str, Any]) -> list[int]:
    eta = float(hb.get("eta", 3))
    s = hb.get("s")
    if "min_iter" in hb:
        out: list[int] = []
        b = float(hb["min_iter"])
        while b <= MAX_ITER and len(out) < (s or MAX_BRACKETS):
            out.append(int(round(b)))
            b *= eta
    else:
        out = [max(1, int(round(hb["max_iter"] / eta**k))) for k in range(1, int(s or 1) + 1)]
    return sorted(set(out))


def _bands(values: list[float], marks: list[int], goal: str) -> dict[str, float]:
    """The best value up to each bracket the series reached."""
    out: dict[str, float] = {}
    best = None
    finite = [v for v in values]
    for i, v in enumerate(finite, start=1):
        if isinstance(v, (int, float)) and math.isfinite(v):
            best = v if best is None else (max(best, v) if goal == "maximize" else min(best, v))
        if i in marks and best is not None:
            out[str(i)] = float(best)
    return out


def _series(trial: SweepRun, metric: str) -> list[float]:
    run = trial.linked_run
    if run is None:
        return []
    sampled = run_selectors.history_sampled(
        run=run, stream=Stream.HISTORY, keys=[metric], samples=run_selectors.MAX_SAMPLES
    )
    series = sampled.get(metric)
    return list(series.values) if series is not None else []


def _threshold(values: list[float], eta: float, goal: str) -> float:
    """The worst value still among the best 1/eta."""
    ordered = sorted(values, reverse=goal == "maximize")
    keep = max(1, math.ceil(len(ordered) / eta))
    return ordered[keep - 1]


def sweep_early_terminate(*, sweep_pk: int) -> list[str]:
    """Mark the running runs hyperband stops; returns their ids."""
    sweep = Sweep.objects.filter(pk=sweep_pk).first()
    if sweep is None or sweep.state in (SweepState.FINISHED, SweepState.CANCELLED):
        return []
    cfg = config_parse(sweep.config)
    hb = cfg.hyperband
    if hb is None or not cfg.metric_name:
        return []
    marks = brackets(hb)
    running = list(
        sweep.trials.select_related("linked_run").filter(
            state=TrialState.RUNNING, stop_requested=False
        )
    )
    for trial in running:
        bands = _bands(_series(trial, cfg.metric_name), marks, cfg.metric_goal)
        if bands != trial.bands:
            trial.bands = bands
            SweepRun.objects.filter(pk=trial.pk).update(bands=bands)
    everyone = list(sweep.trials.exclude(bands={}).values_list("run_id", "bands"))
    stopped: list[str] = []
    for trial in running:
        for mark in marks:
            key = str(mark)
            if key not in trial.bands:
                break
            at_mark = [b[key] for _, b in everyone if key in b]
            limit = _threshold(at_mark, float(hb["eta"]), cfg.metric_goal)
            mine = trial.bands[key]
            if cfg.better(limit, mine):
                stopped.append(trial.run_id)
                with transaction.atomic():
                    SweepRun.objects.filter(pk=trial.pk, stop_requested=False).update(
                        stop_requested=True,
                        stop_reason=f"hyperband: outside the best 1/{hb['eta']} at iteration {mark}",
                    )
                break
    return stopped


def early_terminate_all() -> int:
    n = 0
    for pk in Sweep.objects.filter(state__in=[SweepState.RUNNING, SweepState.PAUSED]).values_list(
        "pk", flat=True
    ):
        if "early_terminate" in (
            Sweep.objects.filter(pk=pk).values_list("config", flat=True).first() or {}
        ):
            n += len(sweep_early_terminate(sweep_pk=pk))
    return n
