"""Parameter importance: how much each parameter explains a metric over a set of runs.

A random forest's importances (scikit-learn) and each parameter's correlation
with the metric, as W&B's importance panel shows them. Shared by the sweep
page (apps/sweeps) and the reports' importance panel (apps/reports): a pure
function of the numbers, so neither app reaches into the other.
"""

from __future__ import annotations

from typing import Any

MIN_RUNS = 3


def importance_of(names: list[str], rows: list[list[float]], metric: list[float], trees: int = 100) -> list[dict[str, Any]]:
    """Per parameter: `name`, `importance` (the forest's, summing to 1) and `correlation`
    (Pearson's, None for a constant column), most important first. `rows[i]` holds run i's
    value of each parameter, `metric[i]` its metric; all finite. Fewer than MIN_RUNS runs: []."""
    if len(metric) < MIN_RUNS or not names:
        return []
    import numpy as np
    from sklearn.ensemble import RandomForestRegressor

    X, y = np.asarray(rows, dtype=float), np.asarray(metric, dtype=float)
    forest = RandomForestRegressor(n_estimators=trees, random_state=0, n_jobs=1).fit(X, y)
    out: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        col = X[:, i]
        corr = float(np.corrcoef(col, y)[0, 1]) if col.std() > 0 and y.std() > 0 else None
        out.append({"name": name, "importance": float(forest.feature_importances_[i]), "correlation": corr})
    out.sort(key=lambda e: -float(e["importance"]))
    return out
