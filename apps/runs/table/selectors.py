"""Reads of the runs table: the saved layout, pages of lean rows, keys, groups, CSV.

`host` (`system.host`) is the one column the filter language does not know; it
is sorted here.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform

from apps.core.csv import csv_cell
from apps.core.errors import BadInput
from apps.runs import selectors as run_selectors
from apps.runs.models import Project, ProjectView, Run, RunState
from apps.runs.query import FilterError
from apps.runs.table.columns import BUILTINS, DEFAULT_COLUMNS, Column, column_parse, field_expr

__all__ = [
    "KEYS_SAMPLE",
    "MAX_BULK",
    "MAX_KEYS",
    "MAX_KEY_DEPTH",
    "PAGE_SIZE",
    "cell",
    "duplicates_of",
    "filter_literal",
    "row",
    "runs_filtered",
    "table_csv",
    "table_groups",
    "table_keys",
    "table_order",
    "table_page",
    "table_rows_by_id",
    "view_get",
]

PAGE_SIZE = 50
# The most runs one request names: rows the live table polls, runs edited at once.
MAX_BULK = 1000
MAX_KEYS = 500
# Keys are discovered from the newest runs: enough to find every key in use
# without reading every run of a 100,000-run project.
KEYS_SAMPLE = 1000
MAX_KEY_DEPTH = 8


# --- The saved layout -------------------------------------------------------------


def view_get(*, project: Project) -> list[Column]:
    view = ProjectView.objects.filter(project=project).first()
    ids = (view.layout.get("columns") if view else None) or DEFAULT_COLUMNS
    out: list[Column] = []
    for i in ids:
        try:
            out.append(column_parse(str(i)))
        except BadInput:  # saved by an older version: skip it rather than break the page
            continue
    return out


# --- Rows -------------------------------------------------------------------------

def _walk(value: Any, path: tuple[str, ...]) -> Any:
    for seg in path:
        if not isinstance(value, dict) or seg not in value:
            return None
        value = value[seg]
    return value


def _iso(t: Any) -> str | None:
    return t.isoformat().replace("+00:00", "Z") if t else None


def cell(run: Run, column: Column) -> Any:
    if column.source == "config":
        return _walk(run.config, column.path)
    if column.source == "summary":
        return _walk(run.summary, column.path)
    name = column.id
    if name == "host":
        host = run.system.get("host") if isinstance(run.system, dict) else None
        return host if isinstance(host, str) else None
    if name == "user":
        return run.user.get_username() if run.user else None
    if name == "id":
        return run.run_id
    if name in ("created_at", "finished_at"):
        return _iso(getattr(run, name))
    if name == "fingerprint":
        return run.fingerprint or None
    return getattr(run, name)


def row(run: Run, columns: list[Column], duplicate_of: str | None = None) -> dict[str, Any]:
    return {
        "id": run.run_id,
        "name": run.name,
        "state": run.state,
        "values": {c.id: cell(run, c) for c in columns},
        "duplicate_of": duplicate_of,
    }


def duplicates_of(*, project: Project, runs: list[Run]) -> dict[int, str]:
    """Run pk -> the id of another *finished* run of the project with the same fingerprint
    (the first to finish): these runs repeat an experiment already done. One query."""
    prints = {r.fingerprint for r in runs if r.fingerprint}
    if not prints:
        return {}
    done: dict[str, list[tuple[int, str]]] = {}
    finished = (
        Run.objects.filter(project=project, state=RunState.FINISHED, fingerprint__in=prints)
        .order_by("finished_at", "pk").values_list("fingerprint", "pk", "run_id")
    )
    for fp, pk, run_id in finished:
        if len(done.setdefault(fp, [])) < 2:  # the first two: one of them is not the run itself
            done[fp].append((pk, run_id))
    out = {}
    for r in runs:
        other = next((run_id for pk, run_id in done.get(r.fingerprint, ()) if pk != r.pk), None)
        if other is not None:
            out[r.pk] = other
    return out


def _rows(project: Project, runs: list[Run], columns: list[Column]) -> list[dict[str, Any]]:
    dups = duplicates_of(project=project, runs=runs)
    return [row(r, columns, dups.get(r.pk)) for r in runs]


def table_order(runs: QuerySet[Run], order_text: str) -> QuerySet[Run]:
    """The run list's order, plus `host` (`system.host`), which it lacks."""
    text = order_text.strip()
    if text.lstrip("-") in ("host", "system.host"):
        host = KeyTextTransform("host", "system")
        key = host.desc(nulls_last=True) if text.startswith("-") else host.asc(nulls_last=True)
        return runs.order_by(key, "-created_at", "-id")
    return run_selectors.run_order(runs, text)


def _lean(runs: QuerySet[Run]) -> QuerySet[Run]:
    # Never the chunks or files; only what a row can show.
    return runs.only(
        "run_id", "name", "state", "tags", "created_at", "finished_at", "runtime", "group",
        "job_type", "notes", "config", "summary", "system", "user__username", "project_id", "fingerprint",
    )


def runs_filtered(*, project: Project, filter_text: str, order_text: str) -> QuerySet[Run]:
    """Filtered and ordered runs; BadInput naming `filter` or `order` when refused."""
    try:
        runs = run_selectors.run_list(project=project, filter_text=filter_text)
    except FilterError as e:
        raise BadInput(str(e), "filter") from None
    try:
        return table_order(runs, order_text)
    except FilterError as e:
        raise BadInput(str(e), "order") from None


def table_page(
    *, project: Project, filter_text: str, order_text: str, columns: list[Column],
    limit: int = PAGE_SIZE, offset: int = 0,
) -> dict[str, Any]:
    runs = runs_filtered(project=project, filter_text=filter_text, order_text=order_text)
    count = runs.count()
    page = list(_lean(runs)[offset : offset + limit])
    return {
        "count": count,
        "offset": offset,
        "limit": limit,
        "columns": [c.as_dict() for c in columns],
        "results": _rows(project, page, columns),
    }


def table_rows_by_id(*, project: Project, run_ids: list[str], columns: list[Column]) -> list[dict[str, Any]]:
    """The current values of given runs: what the live table polls."""
    runs = _lean(Run.objects.filter(project=project, run_id__in=run_ids[:MAX_BULK]).select_related("user"))
    return _rows(project, list(runs), columns)


# --- Keys -------------------------------------------------------------------------


def _leaves(value: Any, prefix: tuple[str, ...], out: dict[tuple[str, ...], None], depth: int) -> None:
    if len(out) >= MAX_KEYS:
        return
    # A media reference ({"_type": "image", ...}) is one value, not a folder of keys.
    if isinstance(value, dict) and value and "_type" not in value and depth < MAX_KEY_DEPTH:
        for k, v in value.items():
            _leaves(v, (*prefix, str(k)), out, depth + 1)
    elif prefix:
        out[prefix] = None


def table_keys(*, project: Project) -> dict[str, list[dict[str, Any]]]:
    """Config and summary keys of the project's newest runs, as columns."""
    found: dict[str, dict[tuple[str, ...], None]] = {"config": {}, "summary": {}}
    newest = Run.objects.filter(project=project).order_by("-created_at")[:KEYS_SAMPLE]
    for config, summary in newest.values_list("config", "summary"):
        _leaves(config, (), found["config"], 0)
        _leaves(summary, (), found["summary"], 0)
    return {
        source: [Column(field_expr(source, p), source, p).as_dict() for p in sorted(paths)]
        for source, paths in found.items()
    } | {"run": [Column(k, "run", (k,)).as_dict() for k in BUILTINS]}


# --- Groups -----------------------------------------------------------------------


def filter_literal(value: Any) -> str | None:
    """`value` in the filter language, or None when it cannot be written."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return None


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _group_key(value: Any) -> Any:
    # JSON objects and lists are not hashable: group them by their text.
    if isinstance(value, (dict, list)):
        return ("json", json.dumps(value, sort_keys=True))
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return (type(value).__name__ if isinstance(value, bool) else "v", value)


_RUN_GROUPS = ("group", "fingerprint")


def table_groups(
    *, project: Project, filter_text: str, by: str, metrics: list[Column]
) -> dict[str, Any]:
    """Runs grouped by `group`, `fingerprint` or a config key, with each metric's mean, min and max.

    Only finite numbers count towards a metric; `n` says how many there were.
    """
    if by in _RUN_GROUPS:
        by_col = Column(by, "run", (by,))
    else:
        by_col = column_parse(by)
        if by_col.source != "config":
            raise BadInput("Group by `group`, `fingerprint` or a config key.", "by")
    runs = runs_filtered(project=project, filter_text=filter_text, order_text="")
    wanted = [m for m in metrics if m.source == "summary"]
    groups: dict[Any, dict[str, Any]] = {}
    source = by_col.id if by_col.source == "run" else "config"
    for raw, summary in runs.order_by().values_list(source, "summary").iterator(chunk_size=2000):
        value = raw if by_col.source == "run" else _walk(raw, by_col.path)
        if by_col.source == "run" and value == "":
            value = None
        g = groups.get(_group_key(value))
        if g is None:
            g = groups[_group_key(value)] = {"value": value, "count": 0, "acc": {m.id: [] for m in wanted}}
        g["count"] += 1
        for m in wanted:
            x = _number(_walk(summary, m.path))
            if x is not None:
                g["acc"][m.id].append(x)
    out = []
    for g in groups.values():
        lit = filter_literal(g["value"])
        if by_col.source == "run":
            group_filter: str | None = f'{by_col.id} = {filter_literal(g["value"] or "")}'
        else:
            group_filter = f"{by_col.id} = {lit}" if lit is not None else None
        stats = {}
        for mid, xs in g["acc"].items():
            stats[mid] = (
                {"n": len(xs), "mean": math.fsum(xs) / len(xs), "min": min(xs), "max": max(xs)}
                if xs else {"n": 0, "mean": None, "min": None, "max": None}
            )
        out.append({"value": g["value"], "count": g["count"], "filter": group_filter, "metrics": stats})
    # Largest groups first; ties by their value's text, so the order is stable.
    out.sort(key=lambda g: (-g["count"], str(g["value"])))
    return {"by": by_col.id, "metrics": [m.as_dict() for m in wanted], "groups": out}


# --- CSV --------------------------------------------------------------------------

def table_csv(*, project: Project, filter_text: str, order_text: str, columns: list[Column]) -> Iterator[bytes]:
    """The filtered table as CSV (`id,name,<columns>`), streamed a batch of rows at a time."""
    runs = _lean(runs_filtered(project=project, filter_text=filter_text, order_text=order_text))
    cols = [c for c in columns if c.id not in ("id",)]
    # The filter's cost, met once now, while a stop at the time limit can
    # still be an answer of its own (503): once streaming, it could only cut
    # the file short. Cheap when the filter matches: it stops at the first run.
    runs.exists()

    def body() -> Iterator[bytes]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["id", "name", *(c.id for c in cols)])
        for i, run in enumerate(runs.iterator(chunk_size=500)):
            writer.writerow([run.run_id, csv_cell(run.name), *(csv_cell(cell(run, c)) for c in cols)])
            if i % 500 == 499:
                yield buf.getvalue().encode()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue().encode()

    return body()
