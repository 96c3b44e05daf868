"""The SQL expressions compiled filters are built from: JSON path values and tests, tags.

JSON paths and tags render for SQLite (JSON1) and PostgreSQL (jsonb) only.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from django.db import NotSupportedError
from django.db.models import BooleanField, F, FloatField, TextField
from django.db.models.expressions import Expression

from apps.core.fields import TAG
from apps.runs.query.parse import Literal

__all__ = ["JsonContainsAny", "JsonIs", "JsonNumber", "JsonText", "TagsContain"]

# --- SQL for JSON paths ---------------------------------------------------------

_TAGGED = {
    name: json.dumps({TAG: name}, separators=(",", ":"))
    for name in ("NaN", "Infinity", "-Infinity")
}


def _plain(key: str) -> bool:
    # Keys a quoted SQLite JSON path spells as-is on every SQLite version: SQLite
    # before 3.45 compares path labels with the stored (escaped) JSON text.
    return bool(key) and all(" " <= c <= "~" and c not in '"\\' for c in key)


class _JsonPath(Expression):
    """A value at `keys` under a JSON column; subclasses render it per database."""

    def __init__(self, column: str, keys: Sequence[str], output_field: Any) -> None:
        super().__init__(output_field=output_field)
        self.source: Any = F(column)
        self.keys = tuple(keys)

    def get_source_expressions(self) -> list[Any]:
        return [self.source]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.source,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        raise NotSupportedError("run filters need SQLite or PostgreSQL")

    def _pg(self, compiler: Any) -> tuple[str, list[Any], str, list[Any]]:
        """(jsonb node, params, text of the node, params); keys are parameters."""
        col, params = compiler.compile(self.source)
        head = col + " -> %s" * (len(self.keys) - 1)
        return f"({head} -> %s)", [*params, *self.keys], f"({head} ->> %s)", [*params, *self.keys]

    def _sqlite(self, compiler: Any) -> tuple[str, list[Any], str, list[Any]]:
        """(json_type of the value, params, json_extract of it, params).

        Plain keys become a quoted path, passed as a parameter; any other key
        (quotes, backslashes, non-ASCII) is matched through json_each, whose
        `key` column is the decoded key.
        """
        doc, params = compiler.compile(self.source)
        params, path = list(params), "$"
        for key in self.keys[:-1]:
            if _plain(key):
                path += f'."{key}"'
            else:
                doc = f"(SELECT value FROM json_each({doc}, %s) WHERE key = %s AND type = 'object')"
                params, path = [*params, path, key], "$"
        last = self.keys[-1]
        if _plain(last):
            path += f'."{last}"'
            return (
                f"json_type({doc}, %s)",
                [*params, path],
                f"json_extract({doc}, %s)",
                [*params, path],
            )
        each = f"FROM json_each({doc}, %s) WHERE key = %s)"
        return (
            f"(SELECT type {each}",
            [*params, path, last],
            f"(SELECT value {each}",
            [*params, path, last],
        )


class JsonNumber(_JsonPath):
    """The number at a path (±Infinity included), else NULL: NaN, strings, missing."""

    def __init__(self, column: str, keys: Sequence[str]) -> None:
        super().__init__(column, keys, FloatField())

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        # numeric, not float8: a huge JSON integer would overflow a float8 cast.
        node, p, _, _ = self._pg(compiler)
        inf, ninf = _TAGGED["Infinity"], _TAGGED["-Infinity"]
        sql = (
            f"CASE jsonb_typeof({node}) WHEN 'number' THEN ({node})::numeric WHEN 'object' THEN "
            f"CASE {node} WHEN '{inf}'::jsonb THEN 'Infinity'::numeric "
            f"WHEN '{ninf}'::jsonb THEN '-Infinity'::numeric END END"
        )
        return sql, [*p, *p, *p]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        typ, tp, val, vp = self._sqlite(compiler)
        inf, ninf = _TAGGED["Infinity"], _TAGGED["-Infinity"]
        sql = (
            f"CASE {typ} WHEN 'integer' THEN {val} WHEN 'real' THEN {val} WHEN 'object' THEN "
            f"CASE {val} WHEN '{inf}' THEN 9e999 WHEN '{ninf}' THEN -9e999 END END"
        )
        return sql, [*tp, *vp, *vp, *vp]


class JsonText(_JsonPath):
    """The string at a path, else NULL."""

    def __init__(self, column: str, keys: Sequence[str]) -> None:
        super().__init__(column, keys, TextField())

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        node, np, text, tp = self._pg(compiler)
        return f"CASE WHEN jsonb_typeof({node}) = 'string' THEN {text} END", [*np, *tp]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        typ, tp, val, vp = self._sqlite(compiler)
        return f"CASE WHEN {typ} = 'text' THEN {val} END", [*tp, *vp]


# What a JsonIs tests, per database: {} is the node (PostgreSQL) or its
# json_type (SQLite); [] is the SQLite json_extract. Never NULL, so NOT works.
_IS_PG = {
    "exists": "({} IS NOT NULL)",
    "null": "(COALESCE(jsonb_typeof({}), 'null') = 'null')",
    "string": "COALESCE(jsonb_typeof({}) = 'string', FALSE)",
    "boolean": "COALESCE(jsonb_typeof({}) = 'boolean', FALSE)",
    "true": "COALESCE({} = 'true'::jsonb, FALSE)",
    "false": "COALESCE({} = 'false'::jsonb, FALSE)",
    "nan": f"COALESCE({{}} = '{_TAGGED['NaN']}'::jsonb, FALSE)",
    "number": "COALESCE(jsonb_typeof({}) = 'number' OR {} IN ("
    + ", ".join(f"'{t}'::jsonb" for t in _TAGGED.values())
    + "), FALSE)",
}
_IS_SQLITE = {
    "exists": "({} IS NOT NULL)",
    "null": "(COALESCE({}, 'null') = 'null')",
    "string": "COALESCE({} = 'text', FALSE)",
    "boolean": "COALESCE({} IN ('true', 'false'), FALSE)",
    "true": "COALESCE({} = 'true', FALSE)",
    "false": "COALESCE({} = 'false', FALSE)",
    "nan": f"COALESCE({{}} = 'object' AND [] = '{_TAGGED['NaN']}', FALSE)",
    "number": "COALESCE({} IN ('integer', 'real') OR ({} = 'object' AND [] IN ("
    + ", ".join(f"'{t}'" for t in _TAGGED.values())
    + ")), FALSE)",
}


class JsonIs(_JsonPath):
    """A test on the value at a path: present, null or missing, a type, NaN."""

    def __init__(self, column: str, keys: Sequence[str], what: str) -> None:
        super().__init__(column, keys, BooleanField())
        self.what = what

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        node, p, _, _ = self._pg(compiler)
        template = _IS_PG[self.what]
        return template.replace("{}", node), p * template.count("{}")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        typ, tp, val, vp = self._sqlite(compiler)
        template, params = _IS_SQLITE[self.what], []
        for piece in re.findall(r"\{\}|\[\]", template):
            params += tp if piece == "{}" else vp
        return template.replace("{}", typ).replace("[]", val), params


class _NumberIs(Expression):
    """COALESCE(number op values, FALSE), numbers bound as each database wants."""

    output_field = BooleanField()

    def __init__(self, number: JsonNumber, op: str, values: Sequence[int | float]) -> None:
        super().__init__()
        self.number: Any = number
        self.op = op  # a comparison, or IN
        self.values = tuple(values)

    def get_source_expressions(self) -> list[Any]:
        return [self.number]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.number,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.number)
        values: list[Any]
        if connection.vendor == "postgresql":
            holder, values = "CAST(%s AS numeric)", [_numeric_text(v) for v in self.values]
        else:  # SQLite binds integers up to 64 bits
            holder, values = (
                "%s",
                [
                    v if isinstance(v, float) or -(2**63) <= v < 2**63 else float(v)
                    for v in self.values
                ],
            )
        rhs = ", ".join([holder] * len(values))
        rhs = f"({rhs})" if self.op == "IN" else rhs
        return f"COALESCE(({sql}) {self.op} {rhs}, FALSE)", [*params, *values]


def _numeric_text(value: int | float) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


class _Total(Expression):
    """COALESCE(condition, FALSE): a NULL would make `not` drop the row too."""

    output_field = BooleanField()

    def __init__(self, condition: Any) -> None:
        super().__init__()
        self.condition: Any = condition

    def get_source_expressions(self) -> list[Any]:
        return [self.condition]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.condition,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.condition)
        return f"COALESCE(({sql}), FALSE)", list(params)


class TagsContain(Expression):
    """The run's tags include `tag`."""

    output_field = BooleanField()

    def __init__(self, tag: str) -> None:
        super().__init__()
        self.source: Any = F("tags")
        self.tag = tag

    def get_source_expressions(self) -> list[Any]:
        return [self.source]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.source,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        raise NotSupportedError("run filters need SQLite or PostgreSQL")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        col, params = compiler.compile(self.source)
        return f"{col} @> %s::jsonb", [*params, json.dumps([self.tag])]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        col, params = compiler.compile(self.source)
        sql = f"EXISTS (SELECT 1 FROM json_each({col}) WHERE type = 'text' AND value = %s)"
        return sql, [*params, self.tag]


class JsonContainsAny(Expression):
    """An index-friendly pre-filter for equality: on PostgreSQL, `col @> {"a": {"b": v}}`
    for any of the values, which a GIN index on the column answers without reading
    every run. It is implied by the exact typed comparison it is ANDed with, so
    it never changes a result; SQLite has no such index and gets TRUE."""

    output_field = BooleanField()

    def __init__(self, column: str, keys: Sequence[str], values: Sequence[Literal]) -> None:
        super().__init__()
        self.source: Any = F(column)
        self.keys = list(keys)
        self.values = list(values)

    def get_source_expressions(self) -> list[Any]:
        return [self.source]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.source,) = exprs

    def _document(self, value: Literal) -> str:
        doc: Any = value
        for key in reversed(self.keys):
            doc = {key: doc}
        return json.dumps(doc)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return "1 = 1", []

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        col, params = compiler.compile(self.source)
        parts = [f"{col} @> %s::jsonb" for _ in self.values]
        return "(" + " OR ".join(parts) + ")", [*params, *(self._document(v) for v in self.values)]
