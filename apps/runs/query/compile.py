"""The filter tree compiled to a Django `Q`, and the order language to ORDER BY keys.

`filter_runs` and `order_runs` compile to one plain query for SQLite (JSON1) and
PostgreSQL (jsonb): no join except the user's, no subquery per row except
`json_each` (SQLite: tags, and keys that a JSON path cannot spell).

Semantics that the protocol leaves open, decided here:

- `not X` is the complement of `X`: every run that `X` does not match,
  including runs where the key is missing.
- `!=` and `not in` are typed: `config.x != 5` matches numbers other than 5
  (NaN included); a missing key or a string matches neither `= 5` nor `!= 5`.
- `= null` matches a missing key or a JSON null; on a text column, null is "".
- `contains` on text ignores case; `=`, `~` and tags do not.
- A date without a time is the whole UTC day: `created_at = "2026-11-01"` is
  that day, `> "2026-11-01"` starts on the 2nd, `>= "2026-11-01"` on the 1st.
- JSON path segments are object keys only; `config.layers.0` does not index an
  array.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import DataError, connections, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    In,
    LessThan,
    LessThanOrEqual,
    Regex,
)

from apps.runs.models import Run
from apps.runs.query.expressions import (
    JsonContainsAny,
    JsonIs,
    JsonNumber,
    JsonText,
    TagsContain,
    _NumberIs,
    _Total,
)
from apps.runs.query.parse import (
    _FIELDS,
    MAX_LENGTH,
    MAX_ORDER_KEYS,
    And,
    Comparison,
    Field,
    FilterError,
    Literal,
    Node,
    Not,
    Or,
    _describe,
    _field,
    _kind_of,
    _parse_time,
    _tokenize,
    parse_filter,
)

__all__ = ["filter_runs", "json_value_in", "order_runs"]

# --- Compiling to Q --------------------------------------------------------------

_ALL = Q(pk__isnull=False)
_NONE = Q(pk__in=[])
_LOOKUPS: dict[str, Any] = {
    "=": Exact,
    "<": LessThan,
    "<=": LessThanOrEqual,
    ">": GreaterThan,
    ">=": GreaterThanOrEqual,
    "~": Regex,
    "contains": IContains,
}
_SUFFIX = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte", "~": "regex", "contains": "icontains"}


def _any(qs: Sequence[Q]) -> Q:
    return functools.reduce(operator.or_, qs) if qs else _NONE


def _compile(node: Node) -> Q:
    if isinstance(node, And):
        return functools.reduce(operator.and_, (_compile(c) for c in node.children))
    if isinstance(node, Or):
        return _any([_compile(c) for c in node.children])
    if isinstance(node, Not):
        return ~_compile(node.child)
    kind, column = _FIELDS[node.field.name]
    op, values = node.op, node.values
    if op in ("!=", "not in", "!~", "not contains", "not exists"):
        # Typed negations: what has a value of a comparable type, minus the match.
        positive = {
            "!=": "in",
            "not in": "in",
            "!~": "~",
            "not contains": "contains",
            "not exists": "exists",
        }[op]
        if kind == "json" and positive == "in":
            return _json_not_in(node.field, values)
        return _has_value(kind, node.field, values) & ~_compile(
            Comparison(node.field, positive, values)
        )
    if op == "=":
        op = "in"
    if kind == "json":
        return _json(node.field, op, values)
    if kind == "tags":
        return _any([Q(TagsContain(str(v))) for v in values])
    if kind.startswith("time"):
        return _any([_time(column, op, v) for v in values])
    if op == "in":
        return _any([_equal(kind, column, v) for v in values])
    if kind == "number" and isinstance(values[0], float) and math.isnan(values[0]):
        return _NONE
    return Q(**{f"{column}__{_SUFFIX[op]}": values[0]})


def _has_value(kind: str, field: Field, values: Sequence[Literal]) -> Q:
    if kind == "json":
        if values and isinstance(values[0], str):  # ~ and contains: strings
            return Q(JsonIs(field.name, field.path, "string"))
        return _ALL
    if kind == "user":
        return Q(user__isnull=False)
    if kind in ("time?", "text?"):
        return Q(**{f"{_FIELDS[field.name][1]}__isnull": False})
    return _ALL


def _equal(kind: str, column: str, value: Literal) -> Q:
    if value is None:
        if kind == "user":
            return Q(user__isnull=True)
        return Q(**{f"{column}__isnull": True}) if kind == "text?" else Q(**{column: ""})
    if isinstance(value, float) and math.isnan(value):
        return _NONE
    return Q(**{column: value})


def _time(column: str, op: str, value: Literal) -> Q:
    if value is None:
        return Q(**{f"{column}__isnull": True}) if op == "in" else _NONE
    parsed = _parse_time(str(value))
    assert parsed is not None  # the parser checked it
    start, end = parsed
    if end is None:  # an instant
        return Q(**{f"{column}__{_SUFFIX.get(op, 'exact')}": start})
    day = {
        "in": Q(**{f"{column}__gte": start, f"{column}__lt": end}),
        "<": Q(**{f"{column}__lt": start}),
        "<=": Q(**{f"{column}__lt": end}),
        ">": Q(**{f"{column}__gte": end}),
        ">=": Q(**{f"{column}__gte": start}),
    }
    return day[op]


def _json(field: Field, op: str, values: Sequence[Literal]) -> Q:
    col, path = field.name, field.path
    if op == "exists":
        return Q(JsonIs(col, path, "exists"))
    if op == "in":
        return _json_in(field, values)
    value = values[0]
    if isinstance(value, str):
        # A plain string, not Value(): Django escapes % and _ for contains then.
        return Q(_Total(_LOOKUPS[op](JsonText(col, path), value)))
    assert isinstance(value, (int, float)) and not isinstance(value, bool)  # the parser checked it
    if math.isnan(value):  # NaN is unordered: < NaN matches nothing
        return _NONE
    return Q(_NumberIs(JsonNumber(col, path), op, [value]))


def _json_in(field: Field, values: Sequence[Literal]) -> Q:
    col, path = field.name, field.path
    parts: list[Q] = []
    numbers = [
        v
        for v in values
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)
    ]
    strings = [v for v in values if isinstance(v, str)]
    if numbers:
        exact = Q(_NumberIs(JsonNumber(col, path), "IN", numbers))
        finite = [v for v in numbers if math.isfinite(v)]
        parts.append(Q(JsonContainsAny(col, path, finite)) & exact if finite == numbers else exact)
    if strings:
        parts.append(Q(JsonContainsAny(col, path, strings)) & Q(_Total(In(JsonText(col, path), strings))))
    for value in values:
        if isinstance(value, float) and math.isnan(value):
            parts.append(Q(JsonIs(col, path, "nan")))
        elif isinstance(value, bool) or value is None:
            parts.append(Q(JsonIs(col, path, "null" if value is None else str(value).lower())))
    return _any(parts)


def _json_not_in(field: Field, values: Sequence[Literal]) -> Q:
    """A value of the type of some listed value that equals none of them."""
    present = [v for v in values if v is not None]
    if not present:
        return ~Q(JsonIs(field.name, field.path, "null"))
    kinds = sorted({_kind_of(v) for v in present})
    return _any(
        [
            Q(JsonIs(field.name, field.path, kind))
            & ~_json_in(field, [v for v in present if _kind_of(v) == kind])
            for kind in kinds
        ]
    )


def _comparisons(node: Node) -> Iterator[Comparison]:
    if isinstance(node, (And, Or)):
        for child in node.children:
            yield from _comparisons(child)
    elif isinstance(node, Not):
        yield from _comparisons(node.child)
    else:
        yield node


def _regexes_check(node: Node, using: str) -> None:
    r"""On PostgreSQL, which matches with its own engine: refuse what that engine cannot read.

    The parser checked each pattern with RE2; PostgreSQL refuses some RE2
    accepts (`(?P<name>...)`, `\pL`). Asked here, once per pattern, so that
    every reader of a filter answers 400 rather than failing as it reads.
    """
    db = connections[using]
    if db.vendor != "postgresql":
        return
    for comparison in _comparisons(node):
        if comparison.op not in ("~", "!~"):
            continue
        try:
            with transaction.atomic(using=using), db.cursor() as cursor:
                cursor.execute("SELECT '' ~ %s", [comparison.values[0]])
        except DataError as e:
            reason = str(e).splitlines()[0].removeprefix("invalid regular expression: ")
            raise FilterError(f"invalid regular expression ({reason})", comparison.position) from None


def json_value_in(column: str, keys: Sequence[str], values: Sequence[Literal]) -> Q:
    """Rows whose JSON `column` holds one of `values` under the object keys
    `keys`, compared as the language's `=` compares (typed; a key that reads
    as a number is still a key): for other models' JSON columns, such as a
    benchmark entry's frozen config."""
    return _json_in(Field(column, tuple(keys)), values)


def filter_runs(qs: QuerySet[Run], text: str) -> QuerySet[Run]:
    """Narrow `qs` to the runs the filter matches; a blank filter keeps them all."""
    if not text.strip():
        return qs
    tree = parse_filter(text)
    _regexes_check(tree, qs.db)
    return qs.filter(_compile(tree))


# --- Ordering -----------------------------------------------------------------------


def order_runs(qs: QuerySet[Run], text: str) -> QuerySet[Run]:
    """Sort by comma-separated fields (`-` for descending), newest first on ties.

    A config or summary key sorts its numbers first (±Infinity in place), then
    its strings; runs without either (missing, null, NaN, booleans, objects)
    come last in both directions.
    """
    if len(text) > MAX_LENGTH:
        raise FilterError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH)
    tokens = _tokenize(text)
    keys: list[OrderBy] = []
    i = 0
    while tokens[i].kind != "end" or keys:
        descending = tokens[i].kind == "-"
        i += descending
        tok = tokens[i]
        if tok.kind != "field":
            raise FilterError(f"expected a field to sort by, found {_describe(tok)}", tok.pos)
        field = _field(tok)
        kind, column = _FIELDS[field.name]
        if kind == "tags":
            raise FilterError("cannot sort by tags", tok.pos)
        if kind == "json":
            exprs: list[Any] = [
                JsonNumber(field.name, field.path),
                JsonText(field.name, field.path),
            ]
        else:
            exprs = [F(column)]
        keys += [OrderBy(e, descending=descending, nulls_last=True) for e in exprs]
        if len(keys) > 2 * MAX_ORDER_KEYS:
            raise FilterError(f"more than {MAX_ORDER_KEYS} sort keys", tok.pos)
        i += 1
        if tokens[i].kind == "end":
            break
        if tokens[i].kind != ",":
            raise FilterError(
                f"expected ',' between sort keys, found {_describe(tokens[i])}", tokens[i].pos
            )
        i += 1
    # Stable pages: runs equal on every key still come in one fixed order.
    return qs.order_by(*keys, "-created_at", "-id")
