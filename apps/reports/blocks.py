"""The shape of a report's blocks, checked on every save.

    {"id": "b1", "type": "text", "text": "# Markdown"}
    {"id": "b2", "type": "panel", "panel": {
        "kind": "line" | "bar" | "scatter" | "parallel" | "table" | "media" | "importance",
        "title": "...",
        "runset": {"project": "slug" (same organisation; default the report's),
                   "filter": "filter language" | "runs": ["run id", ...],
                   "order": "-summary.acc", "limit": 1..50},
        line:     "keys": [history keys], "smoothing": 0..<1, "log": bool,
                  "x": "step" | "time" | "relative" | "metric:<key>" (default step),
                  "ignore_outliers": true (the y-axis from the 5th to 95th percentile; absent: off)
        bar:      "field": "summary.acc"
        scatter:  "x": "config.lr", "y": "summary.acc"
        parallel: "fields": ["config.lr", ..., "summary.acc"]
        table:    "fields": ["config.lr", "summary.acc", ...]
        media:    "key": "samples" (a media or histogram key), "step": int | null (null: the newest)
        importance: "metric": "summary.acc", "fields": ["config.lr", ...] (the parameters)
    }}

A field is `config.<path>` or `summary.<path>` in the filter language's
spelling (backticks around a key holding dots or spaces).
"""

from __future__ import annotations

from typing import Any

from apps.core.errors import BadInput
from apps.runs import workspace
from apps.runs.query import FilterError, field_parse, parse_filter
from apps.runs.workspace import MAX_RUNS

MAX_BLOCKS = 200
MAX_TEXT = 100_000
MAX_LINE_KEYS = 10
MAX_FIELDS = 20
PANEL_KINDS = ("line", "bar", "scatter", "parallel", "table", "media", "importance")
_PANEL_FIELDS = {
    "line": {"keys", "smoothing", "log", "x", "ignore_outliers"},
    "bar": {"field"},
    "scatter": {"x", "y"},
    "parallel": {"fields"},
    "table": {"fields"},
    "media": {"key", "step"},
    "importance": {"metric", "fields"},
}


def _text(value: Any, field: str, limit: int, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty) or len(value) > limit:
        raise BadInput(f"Must be a {'' if empty else 'non-empty '}string of at most {limit} characters.", field)
    return value


def field_check(value: Any, field: str) -> str:
    """A `config.` or `summary.` field, as written."""
    text = _text(value, field, 300)
    try:
        segments = field_parse(text)
    except FilterError as e:
        raise BadInput(str(e), field) from None
    if len(segments) < 2 or segments[0] not in ("config", "summary"):
        raise BadInput("Use config.<key> or summary.<key>.", field)
    return text


def runset_check(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadInput("Must be an object.", field)
    unknown = set(value) - {"project", "filter", "runs", "order", "limit"}
    if unknown:
        raise BadInput(f"Unknown field {sorted(unknown)[0]!r}.", field)
    out: dict[str, Any] = {}
    if value.get("project") not in (None, ""):
        out["project"] = _text(value["project"], f"{field}.project", 64).lower()
    if "runs" in value and value["runs"] is not None:
        runs = value["runs"]
        if not isinstance(runs, list) or len(runs) > MAX_RUNS:
            raise BadInput(f"Must be a list of at most {MAX_RUNS} run ids.", f"{field}.runs")
        out["runs"] = list(dict.fromkeys(_text(r, f"{field}.runs[{i}]", 64) for i, r in enumerate(runs)))
    else:
        text = _text(value.get("filter", ""), f"{field}.filter", 10_000, empty=True)
        if text.strip():
            try:
                parse_filter(text)
            except FilterError as e:
                raise BadInput(str(e), f"{field}.filter") from None
        out["filter"] = text
        out["order"] = _text(value.get("order", "-created_at") or "-created_at", f"{field}.order", 1000)
    limit = value.get("limit", MAX_RUNS)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_RUNS:
        raise BadInput(f"Must be an integer from 1 to {MAX_RUNS}.", f"{field}.limit")
    out["limit"] = limit
    return out


def _fields(value: Any, field: str, lo: int) -> list[str]:
    if not isinstance(value, list) or not lo <= len(value) <= MAX_FIELDS:
        raise BadInput(f"Must be a list of {lo} to {MAX_FIELDS} fields.", field)
    return [field_check(v, f"{field}[{i}]") for i, v in enumerate(value)]


def panel_check(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadInput("Must be an object.", field)
    kind = value.get("kind")
    if kind not in PANEL_KINDS:
        raise BadInput(f"Use one of {', '.join(PANEL_KINDS)}.", f"{field}.kind")
    unknown = set(value) - {"kind", "title", "runset"} - _PANEL_FIELDS[kind]
    if unknown:
        raise BadInput(f"Unknown field {sorted(unknown)[0]!r} for a {kind} panel.", field)
    out: dict[str, Any] = {
        "kind": kind,
        "title": _text(value.get("title", ""), f"{field}.title", 200, empty=True),
        "runset": runset_check(value.get("runset", {}), f"{field}.runset"),
    }
    if kind == "line":
        keys = value.get("keys")
        if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_LINE_KEYS:
            raise BadInput(f"Must be a list of 1 to {MAX_LINE_KEYS} keys.", f"{field}.keys")
        out["keys"] = [_text(k, f"{field}.keys[{i}]", 256) for i, k in enumerate(keys)]
        options = workspace.chart_options_check(value, field)
        out["smoothing"], out["log"] = options["smoothing"], options["log"]
        if options["x"] != "step":  # stored only when set: panels saved before keep their shape
            out["x"] = options["x"]
        if options["ignore_outliers"]:
            out["ignore_outliers"] = True
    elif kind == "bar":
        out["field"] = field_check(value.get("field"), f"{field}.field")
    elif kind == "scatter":
        out["x"] = field_check(value.get("x"), f"{field}.x")
        out["y"] = field_check(value.get("y"), f"{field}.y")
    elif kind == "importance":
        out["metric"] = field_check(value.get("metric"), f"{field}.metric")
        out["fields"] = _fields(value.get("fields"), f"{field}.fields", 1)
    elif kind == "media":
        out["key"] = _text(value.get("key"), f"{field}.key", 256)
        step = value.get("step")
        if step is not None and (isinstance(step, bool) or not isinstance(step, int) or step < 0):
            raise BadInput("Must be a step (an integer from 0), or null for the newest.", f"{field}.step")
        out["step"] = step
    else:
        out["fields"] = _fields(value.get("fields"), f"{field}.fields", 2 if kind == "parallel" else 1)
    return out


def blocks_check(value: Any, *, strict: bool = True) -> list[dict[str, Any]]:
    """Checked blocks. Not strict (autosave of a draft): a panel still being set up is kept
    with an `error` saying what is missing, and shows nothing until it is complete; publishing
    is strict."""
    if not isinstance(value, list) or len(value) > MAX_BLOCKS:
        raise BadInput(f"Must be a list of at most {MAX_BLOCKS} blocks.", "blocks")
    out: list[dict[str, Any]] = []
    for i, block in enumerate(value):
        field = f"blocks[{i}]"
        if not isinstance(block, dict):
            raise BadInput("Must be an object.", field)
        block_id = _text(block.get("id"), f"{field}.id", 64)
        kind = block.get("type")
        if kind == "text":
            if set(block) - {"id", "type", "text"}:
                raise BadInput("A text block has id, type and text.", field)
            out.append({"id": block_id, "type": "text", "text": _text(block.get("text", ""), f"{field}.text", MAX_TEXT, True)})
        elif kind == "panel":
            if set(block) - {"id", "type", "panel", "error"}:
                raise BadInput("A panel block has id, type and panel.", field)
            try:
                out.append({"id": block_id, "type": "panel", "panel": panel_check(block.get("panel"), f"{field}.panel")})
            except BadInput as e:
                if strict:
                    raise
                panel = block.get("panel") if isinstance(block.get("panel"), dict) else {}
                out.append({"id": block_id, "type": "panel", "panel": panel,
                            "error": {"message": str(e.detail), "field": e.field}})
        else:
            raise BadInput("Use text or panel.", f"{field}.type")
    ids = [b["id"] for b in out]
    if len(set(ids)) != len(ids):
        raise BadInput("Block ids must be unique.", "blocks")
    return out
