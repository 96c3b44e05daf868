"""W&B's MongoDB-style run filters and orders, written in the server's filter language.

``wandb.Api().runs(path, filters={...}, order="-summary_metrics.acc")`` takes a
dict of MongoDB operators; Cairn's server takes a filter string
(docs/protocol.md, "The filter language"). Each query is translated here, in
the client, so the server keeps one language. What has no translation raises
a ``UsageError`` naming it.

>>> mongo_filter({"$and": [{"config.lr.value": {"$lt": 0.01}}, {"tags": {"$in": ["a", "b"]}}]})
'(config.lr < 0.01 and tags in ("a", "b"))'
>>> mongo_order("-summary_metrics.val/acc")
'-summary.`val/acc`'
"""

from __future__ import annotations

import datetime as dt
import math
import re

from .._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["mongo_filter", "mongo_order"]

# W&B's field names (GraphQL's and the Python API's) -> the filter language's.
# W&B's `name` is the run's id; its `displayName` is what Cairn calls `name`.
_FIELDS = {
    "name": "id",
    "id": "id",
    "display_name": "name",
    "displayName": "name",
    "state": "state",
    "tags": "tags",
    "group": "group",
    "job_type": "job_type",
    "jobType": "job_type",
    "notes": "notes",
    "description": "notes",
    "username": "user",
    "user": "user",
    "created_at": "created_at",
    "createdAt": "created_at",
    "heartbeat_at": "heartbeat_at",
    "heartbeatAt": "heartbeat_at",
    "updated_at": "heartbeat_at",
    "updatedAt": "heartbeat_at",
    "runtime": "runtime",
    "duration": "runtime",
    # W&B's `sweep` and `sweepName` both name the sweep by its id.
    "sweep": "sweep",
    "sweepName": "sweep",
}
# Prefixes of keyed fields: W&B's summary is `summary_metrics`.
_KEYED = {"config": "config", "summary_metrics": "summary", "summary": "summary"}
_UNSUPPORTED = {
    "system_metrics": "system metrics are history, not a run field, in Cairn",
    "host": "the host is not a filter field",
}
_COMPARE = {"$eq": "=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_SEGMENT = re.compile(r"[\w$-]+\Z")


def _field(key: str) -> tuple[str, bool]:
    """(the field as the filter language writes it, whether it is a config/summary key)."""
    if not isinstance(key, str) or not key:
        raise UsageError(f"filters: a field name must be a non-empty string, got {key!r}")
    head, _, rest = key.partition(".")
    if head in _KEYED:
        segments = rest.split(".") if rest else []
        if head == "config" and len(segments) > 1 and segments[-1] == "value":
            segments = segments[:-1]  # W&B stores config.lr as {"value": ...}; Cairn stores the value
        if not segments or any(not s for s in segments):
            raise UsageError(f"filters: expected a key after {head!r}, got {key!r}")
        quoted = [s if _SEGMENT.match(s) else "`" + s.replace("`", "``") + "`" for s in segments]
        return ".".join([_KEYED[head], *quoted]), True
    if key in _FIELDS:
        return _FIELDS[key], False
    if key in _UNSUPPORTED:
        raise UsageError(f"filters: {key!r} is not supported: {_UNSUPPORTED[key]}")
    raise UsageError(
        f"filters: unknown field {key!r} (expected config.<key>, summary_metrics.<key>, "
        f"{', '.join(sorted(set(_FIELDS)))})"
    )


def _value(value: Any, where: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise UsageError(f"filters: {where} takes a string, number, boolean or None, got {value!r}")


def _values(value: Any, op: str, key: str) -> str:
    if not isinstance(value, (list, tuple)) or not value:
        raise UsageError(f"filters: {op} on {key!r} takes a non-empty list, got {value!r}")
    return "(" + ", ".join(_value(v, f"{op} on {key!r}") for v in value) + ")"


def _condition(key: str, spec: Any) -> str:
    """One field's condition: a value (equality) or a dict of operators."""
    field, keyed = _field(key)
    tags = field == "tags"
    if not isinstance(spec, dict) or not any(str(k).startswith("$") for k in spec):
        if isinstance(spec, (list, tuple, dict)):
            raise UsageError(f"filters: {key!r} compares with a single value or an operator dict, got {spec!r}")
        return f"{field} contains {_value(spec, key)}" if tags else f"{field} = {_value(spec, key)}"
    parts: list[str] = []
    options = spec.get("$options", "")
    for op, arg in spec.items():
        if op == "$options":
            if "$regex" not in spec:
                raise UsageError(f"filters: $options on {key!r} goes with $regex")
            continue
        if tags and op in ("$eq", "$ne"):
            word = "contains" if op == "$eq" else "not contains"
            parts.append(f"{field} {word} {_value(arg, key)}")
        elif tags and op in ("$in", "$nin"):
            parts.append(f"{field} {'in' if op == '$in' else 'not in'} {_values(arg, op, key)}")
        elif tags:
            raise UsageError(f"filters: tags take a value, $eq, $ne, $in or $nin, not {op}")
        elif op in _COMPARE:
            parts.append(f"{field} {_COMPARE[op]} {_value(arg, f'{op} on {key!r}')}")
        elif op == "$ne":
            # Mongo's $ne also matches runs without the key; the language's `!=` does not.
            parts.append(f"not {field} = {_value(arg, f'$ne on {key!r}')}")
        elif op == "$in":
            parts.append(f"{field} in {_values(arg, op, key)}")
        elif op == "$nin":
            parts.append(f"not {field} in {_values(arg, op, key)}")
        elif op == "$regex":
            if not isinstance(arg, str):
                raise UsageError(f"filters: $regex on {key!r} takes a string, got {arg!r}")
            flags = "".join(sorted(set(options) & set("ims")))
            if set(options) - set("ims"):
                raise UsageError(f"filters: $options {options!r} on {key!r}: only i, m and s are supported")
            parts.append(f"{field} ~ {_value(f'(?{flags}){arg}' if flags else arg, key)}")
        elif op == "$exists":
            if not keyed:
                raise UsageError(f"filters: $exists applies to config and summary_metrics keys, not {key!r}")
            parts.append(f"{field} {'exists' if arg else 'not exists'}")
        elif op == "$not":
            parts.append(f"not ({_condition(key, arg)})")
        else:
            raise UsageError(f"filters: operator {op} on {key!r} is not supported")
    if not parts:
        raise UsageError(f"filters: no condition for {key!r}")
    return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


def _node(query: Any) -> str:
    if not isinstance(query, dict):
        raise UsageError(f"filters: expected a dict, got {query!r}")
    parts: list[str] = []
    for key, spec in query.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(spec, (list, tuple)) or not spec:
                raise UsageError(f"filters: {key} takes a non-empty list of dicts")
            children = [_node(child) for child in spec]
            joined = (" and " if key == "$and" else " or ").join(children)
            parts.append(f"not ({joined})" if key == "$nor" else f"({joined})")
        elif isinstance(key, str) and key.startswith("$"):
            raise UsageError(f"filters: operator {key} is not supported at the top level")
        else:
            parts.append(_condition(key, spec))
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


def mongo_filter(query: dict[str, Any]) -> str:
    """The filter-language text for a W&B (MongoDB-style) filter dict; ``""`` for ``{}``.

    >>> mongo_filter({"state": "finished", "summary_metrics.acc": {"$gte": 0.9}})
    '(state = "finished" and summary.acc >= 0.9)'
    """
    return _node(query)


def mongo_order(order: str) -> str:
    """The filter language's order for W&B's: ``"-summary_metrics.acc"``, ``"+config.lr.value"``,
    ``"createdAt"`` (``+`` or nothing ascending, ``-`` descending; comma-separated keys allowed).

    >>> mongo_order("+config.lr.value,-createdAt")
    'config.lr,-created_at'
    """
    out = []
    for part in order.split(","):
        part = part.strip()
        sign = ""
        if part[:1] in "+-" and part:
            sign, part = ("-" if part[0] == "-" else ""), part[1:]
        if not part:
            raise UsageError(f"order: expected a field, got {order!r}")
        field, _ = _field(part)
        out.append(sign + field)
    return ",".join(out)
