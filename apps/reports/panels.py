"""Panel data: a run set's runs and only the fields and keys a panel shows.

This is all a reader of a report ever gets of its runs, so every shape below
lists its fields explicitly: run id, name, and the panel's own values.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import orjson

from apps.core.importance import importance_of
from apps.reports.media import media_panel_data
from apps.reports.models import Report
from apps.reports.runsets import runset_runs
from apps.runs import selectors, workspace
from apps.runs.models import Run, Stream
from apps.runs.query import field_parse

SAMPLES = 300  # points per series (with min/max bands): a report chart is at most ~800 px wide
CACHE_BYTES = 64 * 1024 * 1024


def field_value(run: Run, field: str) -> Any:
    segments = field_parse(field)
    value: Any = run.config if segments[0] == "config" else run.summary
    for seg in segments[1:]:
        if not isinstance(value, dict) or seg not in value:
            return None
        value = value[seg]
    if isinstance(value, (dict, list)):
        return None  # a panel shows scalars
    return value


def _runs(runs: list[Run]) -> list[dict[str, Any]]:
    return [{"id": r.run_id, "name": r.name or r.run_id} for r in runs]


def panel_data(
    *, report: Report, panel: dict[str, Any], samples: int = SAMPLES, runs: list[Run] | None = None
) -> dict[str, Any]:
    if runs is None:
        runs = runset_runs(report=report, runset=panel["runset"])
    kind = panel["kind"]
    if kind == "media":
        return media_panel_data(runs=runs, panel=panel)
    out: dict[str, Any] = {"kind": kind}
    if kind == "line":
        keys = panel["keys"]
        by_id = {r.run_id: r for r in runs}
        x = panel.get("x", "step")
        # The x-axis rides along as series of its own: the time of each step, or another metric.
        metric = workspace.x_axis_metric(x)
        extra = [metric] if metric else []
        history = workspace.runs_history_sampled(
            project=runs[0].project, run_ids=list(by_id), keys=list(dict.fromkeys(keys + extra)), stream=Stream.HISTORY,
            samples=samples, numeric_only=True, with_times=workspace.x_axis_needs_times(x),
        ) if runs and len({r.project_id for r in runs}) == 1 else {}
        out["keys"] = keys
        out["runs"] = [
            {"id": run_id, "name": by_id[run_id].name or run_id,
             "series": {k: {"steps": s.steps, "values": s.values, "min": s.minimum, "max": s.maximum}
                        for k, s in h.series.items()}}
            for run_id, h in history.items()
        ]
        return out
    if kind == "bar":
        out["field"] = panel["field"]
        out["runs"] = [{**r, "value": field_value(run, panel["field"])} for r, run in zip(_runs(runs), runs)]
    elif kind == "importance":
        out["metric"], out["fields"] = panel["metric"], panel["fields"]
        out.update(importance_data(runs, panel["metric"], panel["fields"]))
    elif kind == "scatter":
        out["x"], out["y"] = panel["x"], panel["y"]
        out["runs"] = [
            {**r, "x": field_value(run, panel["x"]), "y": field_value(run, panel["y"])}
            for r, run in zip(_runs(runs), runs)
        ]
    else:
        out["fields"] = panel["fields"]
        out["runs"] = [
            {**r, "values": [field_value(run, f) for f in panel["fields"]]} for r, run in zip(_runs(runs), runs)
        ]
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def importance_data(runs: list[Run], metric: str, fields: list[str]) -> dict[str, Any]:
    """The importance panel: each field's importance for `metric` and its correlation, over the
    runs that have a number for the metric and a value for every field (text values enter as
    their rank among the runs' values, as a sweep's categorical parameters do)."""
    values = [[field_value(run, f) for f in fields] for run in runs]
    texts = [sorted({v for row in values if isinstance(v := row[i], str)}) for i in range(len(fields))]
    rows: list[list[float]] = []
    ys: list[float] = []
    for run, row in zip(runs, values):
        y = _number(field_value(run, metric))
        feats = [texts[i].index(v) if isinstance(v, str) else _number(v) for i, v in enumerate(row)]
        if y is None or any(f is None for f in feats):
            continue
        rows.append([float(f) for f in feats if f is not None])
        ys.append(y)
    # 50 trees: the panel is drawn as the page is read; a report's run set is at most 50 runs.
    return {"runs_used": len(ys), "params": importance_of(fields, rows, ys, trees=50)}


_SHORT = {"values", "min", "max"}


def _clean(value: Any, key: str = "", exact: bool = False) -> Any:
    """Non-finite numbers as "NaN"/"Infinity" strings (orjson would write null); finite lists pass
    as they are. A line series' values go out at float32 precision (7 digits, plenty for a chart):
    half the bytes to send and parse; not the times of an x-axis (Unix seconds need more)."""
    if isinstance(value, dict):
        return {k: _clean(v, k, exact or k == selectors.TIME_KEY) for k, v in value.items()}
    if key in _SHORT and not exact and isinstance(value, list) and value:
        try:
            if math.isfinite(math.fsum(value)):
                return np.asarray(value, dtype=np.float32)
        except (TypeError, OverflowError):
            pass
    if isinstance(value, list):
        try:
            if math.isfinite(math.fsum(value)):
                return value
        except (TypeError, OverflowError):
            pass
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    return value


def data_bytes(data: Any) -> bytes:
    return orjson.dumps(_clean(data), option=orjson.OPT_SERIALIZE_NUMPY)


class _LineCache:
    """Live line panels' JSON, by the panel and its runs' history offsets: a public report
    read by many costs one sampling per change of its runs, not one per visit. Per process,
    bounded in bytes, least recently used out first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: tuple[Any, ...], value: bytes) -> None:
        with self.lock:
            if key in self.items or len(value) > self.limit // 4:
                return
            self.items[key] = value
            self.size += len(value)
            while self.size > self.limit:
                _, old = self.items.popitem(last=False)
                self.size -= len(old)


_line_cache = _LineCache(CACHE_BYTES)


def panel_bytes(*, report: Report, panel: dict[str, Any]) -> bytes:
    """A live panel's data as JSON bytes (line panels cached until their runs log more)."""
    runs = runset_runs(report=report, runset=panel["runset"])
    if panel["kind"] != "line":
        return data_bytes(panel_data(report=report, panel=panel, runs=runs))
    key = (json.dumps(panel, sort_keys=True), tuple((r.pk, r.name, r.history_offset) for r in runs))
    cached = _line_cache.get(key)
    if cached is None:
        cached = data_bytes(panel_data(report=report, panel=panel, runs=runs))
        _line_cache.put(key, cached)
    return cached
