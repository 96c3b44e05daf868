"""Parameter importance over the sweep's ended runs (apps/core/importance.py: a
random forest's importances and each parameter's correlation with the metric).

Computed by a task when a run of the sweep ends (`sweeps.compute_importance`)
and cached on the sweep, so the page reads it for free. Log-scaled
parameters enter on their log scale, categorical ones as their index.
"""

from __future__ import annotations

import math
from typing import Any

from apps.core.importance import MIN_RUNS, importance_of
from apps.sweeps.config import config_parse
from apps.sweeps.models import Sweep

MAX_RUNS = 10_000


def _feature(base: tuple[Any, ...], raw: Any) -> float | None:
    if raw is None or isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    if base[0] == "float" and base[3]:
        return math.log(raw) if raw > 0 else None
    return float(raw)


def importance_compute(sweep: Sweep) -> dict[str, Any]:
    cfg = config_parse(sweep.config)
    params = [p for p in cfg.params if p.base[0] != "const"]
    rows = list(
        sweep.trials.filter(metric__isnull=False)
        .order_by("pk")
        .values_list("raw", "metric")[:MAX_RUNS]
    )
    X: list[list[float]] = []
    y: list[float] = []
    for raw, metric in rows:
        feats = [_feature(p.base, raw.get(p.name)) for p in params]
        if metric is None or any(f is None for f in feats) or not math.isfinite(metric):
            continue
        X.append([float(f) for f in feats if f is not None])
        y.append(float(metric))
    out: dict[str, Any] = {"runs": len(y), "metric": cfg.metric_name, "params": []}
    if len(y) >= MIN_RUNS:
        out["params"] = importance_of([p.name for p in params], X, y)
    return out


def importance_update(*, sweep_pk: int) -> int:
    sweep = Sweep.objects.filter(pk=sweep_pk).first()
    if sweep is None:
        return 0
    ended = sweep.trials.filter(metric__isnull=False).count()
    if sweep.importance.get("runs") == ended:
        return ended
    result = importance_compute(sweep)
    Sweep.objects.filter(pk=sweep_pk).update(importance=result)
    return int(result["runs"])
