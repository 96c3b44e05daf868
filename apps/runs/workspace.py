"""The project workspace: metric keys across runs, multi-run sampled history,
saved panels, and the options of a line chart (its x-axis, smoothing, log
scale) that report panels share.

Reads and writes for the charts of the project page and the run page
(apps/runs/api/charts.py serves them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Max
from django.db.models.functions import Length

from apps.core.errors import BadInput
from apps.runs import selectors
from apps.runs.history import SeriesSummary
from apps.runs.models import HistorySeries, Project, Run, Stream, Workspace

MAX_RUNS = 50
MAX_KEYS = 500
MAX_PANELS = 200
PANEL_SIZES = ("s", "m", "l")
PANEL_FIELDS = {"id", "type", "key", "keys", "regex", "x", "smoothing", "log", "ignore_outliers", "size"}
# line: metrics over steps; the others read the runs' config and summary (table column ids).
PANEL_TYPES = ("line", "scatter", "parallel", "importance")
MAX_PANEL_KEYS = 20
MAX_SECTIONS = 200

# A line chart's x-axis: the step, wall time, time since the run started, or another metric.
X_AXES = ("step", "time", "relative")
X_METRIC = "metric:"
MAX_METRIC_KEY = 256


def x_axis_check(value: Any, field: str) -> str:
    if value in X_AXES:
        return str(value)
    if isinstance(value, str) and value.startswith(X_METRIC) and 0 < len(value) - len(X_METRIC) <= MAX_METRIC_KEY:
        return value
    raise BadInput("Use step, time, relative or metric:<key>.", field)


def x_axis_metric(x: str) -> str | None:
    """The metric on the x-axis, if it is one."""
    return x[len(X_METRIC):] if x.startswith(X_METRIC) else None


def x_axis_needs_times(x: str) -> bool:
    return x in ("time", "relative")


def chart_options_check(panel: dict[str, Any], field: str) -> dict[str, Any]:
    """A line chart's x-axis, smoothing, log scale and W&B's "ignore outliers" (the y-axis
    fitted to the 5th-95th percentile of what is drawn), the same for workspace and report panels."""
    smoothing = panel.get("smoothing", 0)
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not 0 <= smoothing < 1:
        raise BadInput("Must be a number from 0 to below 1.", f"{field}.smoothing")
    flags: dict[str, bool] = {}
    for name in ("log", "ignore_outliers"):
        flags[name] = panel.get(name, False)
        if not isinstance(flags[name], bool):
            raise BadInput("Must be true or false.", f"{field}.{name}")
    return {"x": x_axis_check(panel.get("x", "step"), f"{field}.x"), "smoothing": float(smoothing), **flags}


@dataclass(frozen=True)
class KeyInfo:
    key: str
    numeric: bool
    runs: int  # how many of the project's runs log it

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "numeric": self.numeric, "runs": self.runs}


def project_keys(*, project: Project, stream: Stream, run_ids: list[str] | None = None) -> list[KeyInfo]:
    """Distinct series keys of the project's runs, numeric ones first, hidden (`_`) ones left out."""
    rows = HistorySeries.objects.filter(run__project=project, stream=stream).exclude(key__startswith="_")
    if run_ids is not None:
        rows = rows.filter(run__run_id__in=run_ids)
    grouped = rows.values("key").annotate(runs=Count("run_id"), numeric=Max(Length("summary"))).order_by()
    keys = [KeyInfo(g["key"], bool(g["numeric"]), g["runs"]) for g in grouped]
    return sorted(keys, key=lambda k: (not k.numeric, k.key))


@dataclass(frozen=True)
class RunHistory:
    run: Run
    series: dict[str, selectors.SampledSeries]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.run.name,
            "state": self.run.state,
            "last_step": self.run.last_step,
            "series": {k: s.as_dict() for k, s in self.series.items()},
        }


def runs_history_sampled(
    *,
    project: Project,
    run_ids: list[str],
    keys: list[str] | None,
    stream: Stream,
    samples: int,
    min_step: int | None = None,
    max_step: int | None = None,
    with_times: bool = False,
    numeric_only: bool = False,
) -> dict[str, RunHistory]:
    """Sampled history of several runs in one read; runs that do not exist are left out.

    Mirrors selectors.history_sampled (summary, or raw chunks for a deep zoom), with
    one query for all the runs.
    """
    if len(run_ids) > MAX_RUNS:
        raise BadInput(f"At most {MAX_RUNS} runs.", "runs")
    if keys is not None and len(keys) > MAX_KEYS:
        raise BadInput(f"At most {MAX_KEYS} keys.", "keys")
    runs = {r.run_id: r for r in Run.objects.filter(project=project, run_id__in=run_ids)}
    zoomed = min_step is not None or max_step is not None
    by_run: dict[int, dict[str, selectors.SampledSeries]] = {r.pk: {} for r in runs.values()}
    raw: dict[int, list[str]] = {}
    # One query for every run's summaries: a query per run costs more than the sampling.
    rows = HistorySeries.objects.filter(run__in=list(runs.values()), stream=stream)
    if keys is not None:
        wanted = keys + [selectors.TIME_KEY] if with_times and not zoomed else keys
        rows = rows.filter(key__in=wanted)
    elif not (with_times and not zoomed):
        rows = rows.exclude(key=selectors.TIME_KEY)
    if numeric_only:
        rows = rows.exclude(summary=b"")
    for run_pk, key, count, blob in rows.values_list("run_id", "key", "count", "summary"):
        if not blob:
            raw.setdefault(run_pk, []).append(key)
            continue
        summary = SeriesSummary.from_bytes(bytes(blob))
        if zoomed and summary.width > 1 and summary.resolution_in(min_step, max_step) < samples // 2:
            raw.setdefault(run_pk, []).append(key)  # too coarse here: read the raw points
            continue
        s = summary.sample(samples, min_step=min_step, max_step=max_step)
        by_run[run_pk][key] = selectors.SampledSeries(count, s.sampled, s.steps, s.values, s.min, s.max)
    out: dict[str, RunHistory] = {}
    for run_id in dict.fromkeys(run_ids):
        run = runs.get(run_id)
        if run is None:
            continue
        series = by_run[run.pk]
        if run.pk in raw:
            series.update(
                selectors.history_sampled(
                    run=run, stream=stream, keys=raw[run.pk], samples=samples, min_step=min_step, max_step=max_step
                )
            )
        out[run_id] = RunHistory(run, dict(sorted(series.items())))
    return out


# --- Saved panels ---------------------------------------------------------


def workspace_get(*, project: Project) -> dict[str, Any]:
    """The saved layout, or an empty one: the page then makes a panel per key."""
    ws = Workspace.objects.filter(project=project).select_related("updated_by").first()
    if ws is None:
        return {"panels": [], "hidden": [], "sections": {}, "saved": False, "updated_at": None, "updated_by": None}
    return {
        "panels": ws.layout.get("panels", []),
        "hidden": ws.layout.get("hidden", []),
        "sections": ws.layout.get("sections", {}),
        "saved": True,
        "updated_at": ws.updated_at.isoformat().replace("+00:00", "Z"),
        "updated_by": ws.updated_by.get_username() if ws.updated_by else None,
    }


def _short_text(value: Any, field: str, limit: int = 256) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadInput(f"Must be a non-empty string of at most {limit} characters.", field)
    return value


def _panel_check(panel: Any, field: str) -> dict[str, Any]:
    if not isinstance(panel, dict):
        raise BadInput("Must be an object.", field)
    unknown = set(panel) - PANEL_FIELDS
    if unknown:
        raise BadInput(f"Unknown field {sorted(unknown)[0]!r}.", field)
    out: dict[str, Any] = {
        "id": _short_text(panel.get("id"), f"{field}.id", 64),
        "key": _short_text(panel.get("key"), f"{field}.key"),
        **chart_options_check(panel, field),
    }
    if not out["ignore_outliers"]:
        del out["ignore_outliers"]  # stored only when on, as the optional fields below
    size = panel.get("size", "m")
    if size not in PANEL_SIZES:
        raise BadInput("Use s, m or l.", f"{field}.size")
    out["size"] = size
    # Optional fields stay out of a panel that has none: old layouts read back as written.
    kind = panel.get("type", "line")
    if kind not in PANEL_TYPES:
        raise BadInput(f"Use one of {', '.join(PANEL_TYPES)}.", f"{field}.type")
    if kind != "line":
        out["type"] = kind
    if "keys" in panel:
        keys = panel["keys"]
        if not isinstance(keys, list) or len(keys) > MAX_PANEL_KEYS:
            raise BadInput(f"Must be a list of at most {MAX_PANEL_KEYS} keys.", f"{field}.keys")
        out["keys"] = [_short_text(k, f"{field}.keys[{i}]") for i, k in enumerate(keys)]
    if "regex" in panel:
        # Matched by the browser (a JavaScript regular expression) against the keys it lists.
        out["regex"] = _short_text(panel["regex"], f"{field}.regex")
    return out


def _sections_check(value: Any) -> dict[str, bool]:
    """Which sections are open, by name ("" for the keys without a prefix)."""
    if not isinstance(value, dict) or len(value) > MAX_SECTIONS:
        raise BadInput(f"Must be an object of at most {MAX_SECTIONS} sections.", "sections")
    for name, is_open in value.items():
        if len(name) > 256 or not isinstance(is_open, bool):
            raise BadInput("Section names of at most 256 characters, each true (open) or false.", "sections")
    return dict(value)


def workspace_save(*, project: Project, user: User | None, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadInput("The body must be a JSON object.")
    panels = data.get("panels", [])
    if not isinstance(panels, list) or len(panels) > MAX_PANELS:
        raise BadInput(f"Must be a list of at most {MAX_PANELS} panels.", "panels")
    checked = [_panel_check(p, f"panels[{i}]") for i, p in enumerate(panels)]
    ids = [p["id"] for p in checked]
    if len(set(ids)) != len(ids):
        raise BadInput("Panel ids must be unique.", "panels")
    hidden = data.get("hidden", [])
    if not isinstance(hidden, list) or len(hidden) > MAX_KEYS:
        raise BadInput(f"Must be a list of at most {MAX_KEYS} keys.", "hidden")
    hidden = [_short_text(k, f"hidden[{i}]") for i, k in enumerate(hidden)]
    sections = _sections_check(data.get("sections", {}))
    Workspace.objects.update_or_create(
        project=project,
        defaults={"layout": {"panels": checked, "hidden": hidden, "sections": sections}, "updated_by": user},
    )
    return workspace_get(project=project)
