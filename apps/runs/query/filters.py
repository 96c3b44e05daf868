"""The run filter and order languages (docs/protocol.md, "The filter language").

`parse_filter` turns text into a small AST and refuses bad input with a
`FilterError` that says what was expected and where. `filter_runs` and
`order_runs` compile to one plain query for SQLite (JSON1) and PostgreSQL
(jsonb): no join except the user's, no subquery per row except `json_each`
(SQLite: tags, and keys that a JSON path cannot spell).

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

import datetime as dt
import functools
import json
import math
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

from django.db import NotSupportedError
from django.db.models import BooleanField, F, FloatField, Q, QuerySet, TextField
from django.db.models.expressions import Expression, OrderBy
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
from django.utils.dateparse import parse_date, parse_datetime

from apps.core.fields import TAG
from apps.runs.models import Run

__all__ = [
    "And",
    "Comparison",
    "Field",
    "FilterError",
    "Node",
    "Not",
    "Or",
    "filter_runs",
    "order_runs",
    "parse_filter",
]

MAX_LENGTH = 10_000
MAX_DEPTH = 50
MAX_COMPARISONS = 200  # each value of an `in` list counts as one
MAX_ORDER_KEYS = 20


class FilterError(ValueError):
    """A filter or order the language refuses. `position` is a 0-based offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at column {position + 1}")
        self.position = position


# --- The AST ------------------------------------------------------------------

Literal = Union[str, int, float, bool, None]


@dataclass(frozen=True)
class Field:
    name: str  # canonical: "config", "summary", "name", "id", ...
    path: tuple[str, ...] = ()  # keys under config/summary
    position: int = 0


@dataclass(frozen=True)
class Comparison:
    field: Field
    op: str  # = != < <= > >= in, not in, ~ !~, contains, not contains, exists, not exists
    values: tuple[Literal, ...] = ()
    position: int = 0


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Union[Comparison, And, Or, Not]

# name -> (kind, ORM path). Kinds decide which values and operators fit.
_FIELDS: dict[str, tuple[str, str]] = {
    "config": ("json", "config"),
    "summary": ("json", "summary"),
    "name": ("text", "name"),
    "state": ("text", "state"),
    "group": ("text", "group"),
    "job_type": ("text", "job_type"),
    "notes": ("text", "notes"),
    "id": ("text", "run_id"),
    "user": ("user", "user__username"),
    "tags": ("tags", "tags"),
    "runtime": ("number", "runtime"),
    "created_at": ("time", "created_at"),
    "finished_at": ("time?", "finished_at"),
    "heartbeat_at": ("time?", "heartbeat_at"),
}
_KEYWORDS = {
    "and",
    "or",
    "not",
    "in",
    "contains",
    "exists",
    "true",
    "false",
    "null",
    "nan",
    "infinity",
}

# --- Tokens -------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # field, kw, string, number, op, "(", ")", ",", "-", end
    text: str
    pos: int
    value: Any = None


_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SEGMENT = re.compile(r"[\w$-]+")
_HINTS = {"==": "use '=' to compare", "&": "use 'and'", "|": "use 'or'", "!": "use 'not'"}


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif m := _WORD.match(text, i):
            i = _field_token(text, m, tokens)
        elif m := _NUMBER.match(text, i):
            raw = m.group()
            if len(raw) > 100:  # also keeps int() under Python's digit limit
                raise FilterError("number longer than 100 characters", i)
            number: int | float = float(raw) if any(ch in raw for ch in ".eE") else int(raw)
            tokens.append(_Token("number", raw, i, number))
            i = _no_word_after(text, m.end())
        elif c == "-" and text[i + 1 : i + 9].lower() == "infinity":
            tokens.append(_Token("number", text[i : i + 9], i, -math.inf))
            i = _no_word_after(text, i + 9)
        elif c in "\"'":
            i = _no_word_after(text, _string_token(text, i, tokens))
        elif text.startswith(("!=", "!~", "<=", ">="), i):
            tokens.append(_Token("op", text[i : i + 2], i))
            i += 2
        elif text.startswith("==", i) or c in "&|!":
            raise FilterError(f"unexpected '{c}' ({_HINTS[text[i : i + 2] if c == '=' else c]})", i)
        elif c in "<>=~":
            tokens.append(_Token("op", c, i))
            i += 1
        elif c in "(),-":
            tokens.append(_Token(c, c, i))
            i += 1
        elif c == "`":
            raise FilterError("backticks quote a key after 'config.' or 'summary.'", i)
        else:
            raise FilterError(f"unexpected character {c!r}", i)
    tokens.append(_Token("end", "", n))
    return tokens


def _no_word_after(text: str, i: int) -> int:
    # `5and` or `"a"b` is a typo, not two tokens.
    if i < len(text) and (text[i].isalnum() or text[i] in "_.\"'`"):
        raise FilterError(f"unexpected {text[i]!r}", i)
    return i


def _field_token(text: str, m: re.Match[str], tokens: list[_Token]) -> int:
    start, i = m.start(), m.end()
    segments = [m.group()]
    while i < len(text) and text[i] == ".":
        i += 1
        if text.startswith("`", i):
            # A backtick segment; a doubled backtick stands for one.
            j, parts = i + 1, []
            while True:
                k = text.find("`", j)
                if k < 0:
                    raise FilterError("unterminated `quoted key` starting", i)
                parts.append(text[j:k])
                if text.startswith("``", k):
                    parts.append("`")
                    j = k + 2
                    continue
                i = k + 1
                break
            segments.append("".join(parts))
        elif seg := _SEGMENT.match(text, i):
            segments.append(seg.group())
            i = seg.end()
        else:
            raise FilterError("expected a key after '.'", i)
    if len(segments) == 1 and segments[0].lower() in _KEYWORDS:
        tokens.append(_Token("kw", text[start:i], start, segments[0].lower()))
    else:
        tokens.append(_Token("field", text[start:i], start, tuple(segments)))
    return i


def field_parse(text: str) -> tuple[str, ...]:
    """The segments of one field as the language writes it (`summary.`val/loss``),
    for other places that name fields the same way, such as table columns."""
    m = _WORD.match(text)
    if m is None:
        raise FilterError("expected a field", 0)
    tokens: list[_Token] = []
    end = _field_token(text, m, tokens)
    if end != len(text):
        raise FilterError(f"unexpected {text[end]!r}", end)
    return tuple(tokens[0].value) if tokens[0].kind == "field" else (text,)


def _string_token(text: str, start: int, tokens: list[_Token]) -> int:
    # A backslash escapes only the quote and itself, so regexes keep `\d`.
    quote, i = text[start], start + 1
    out: list[str] = []
    while i < len(text):
        c = text[i]
        if c == quote:
            tokens.append(_Token("string", text[start : i + 1], start, "".join(out)))
            return i + 1
        if c == "\\" and i + 1 < len(text) and text[i + 1] in (quote, "\\"):
            out.append(text[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    raise FilterError("unterminated string starting", start)


def _describe(tok: _Token) -> str:
    return "the end of the filter" if tok.kind == "end" else repr(tok.text)


# --- The parser ---------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise FilterError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH)
        self.tokens = _tokenize(text)
        self.i = 0
        self.comparisons = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def next(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += min(1, len(self.tokens) - 1 - self.i)
        return tok

    def at_kw(self, *words: str) -> bool:
        tok = self.peek()
        return tok.kind == "kw" and tok.value in words

    def parse(self) -> Node:
        node = self.or_expr(0)
        tok = self.peek()
        if tok.kind != "end":
            raise FilterError(
                f"expected 'and', 'or' or the end of the filter, found {_describe(tok)}", tok.pos
            )
        return node

    def or_expr(self, depth: int) -> Node:
        children = [self.and_expr(depth)]
        while self.at_kw("or"):
            self.next()
            children.append(self.and_expr(depth))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self, depth: int) -> Node:
        children = [self.unary(depth)]
        while self.at_kw("and"):
            self.next()
            children.append(self.unary(depth))
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self, depth: int) -> Node:
        tok = self.peek()
        if depth >= MAX_DEPTH:
            raise FilterError(f"nested deeper than {MAX_DEPTH} levels", tok.pos)
        if self.at_kw("not"):
            self.next()
            return Not(self.unary(depth + 1))
        if tok.kind == "(":
            self.next()
            node = self.or_expr(depth + 1)
            close = self.next()
            if close.kind != ")":
                raise FilterError(
                    f"expected ')' to close the '(' at column {tok.pos + 1}, found {_describe(close)}",
                    close.pos,
                )
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        tok = self.next()
        if tok.kind != "field":
            raise FilterError(
                f"expected a field such as config.lr or name, found {_describe(tok)}", tok.pos
            )
        field = _field(tok)
        op_tok = self.next()
        op = op_tok.text
        if op_tok.kind == "kw" and op_tok.value == "not":
            word = self.next()
            if word.kind != "kw" or word.value not in ("in", "contains", "exists"):
                raise FilterError(
                    f"expected 'in', 'contains' or 'exists' after 'not', found {_describe(word)}",
                    word.pos,
                )
            op = f"not {word.value}"
        elif op_tok.kind == "kw" and op_tok.value in ("in", "contains", "exists"):
            op = op_tok.value
        elif op_tok.kind != "op":
            raise FilterError(
                f"expected an operator (=, !=, <, <=, >, >=, ~, !~, in, contains, exists) after "
                f"{tok.text!r}, found {_describe(op_tok)}",
                op_tok.pos,
            )
        values: list[tuple[Literal, int]] = []
        if op.endswith("in"):
            opened = self.next()
            if opened.kind != "(":
                raise FilterError(
                    f"expected '(' after {op!r}, found {_describe(opened)}", opened.pos
                )
            while True:
                values.append(self.literal(op if not values else ","))
                sep = self.next()
                if sep.kind == ")":
                    break
                if sep.kind != ",":
                    raise FilterError(
                        f"expected ',' or ')' in the list, found {_describe(sep)}", sep.pos
                    )
        elif not op.endswith("exists"):
            values.append(self.literal(op))
        self.comparisons += max(1, len(values))
        if self.comparisons > MAX_COMPARISONS:
            raise FilterError(f"more than {MAX_COMPARISONS} comparisons", tok.pos)
        _check(field, op, op_tok.pos, values)
        return Comparison(field, op, tuple(v for v, _ in values), tok.pos)

    def literal(self, after: str) -> tuple[Literal, int]:
        tok = self.next()
        if tok.kind in ("string", "number"):
            return tok.value, tok.pos
        if tok.kind == "kw" and tok.value in ("true", "false", "null", "nan", "infinity"):
            constants = {
                "true": True,
                "false": False,
                "null": None,
                "nan": math.nan,
                "infinity": math.inf,
            }
            return constants[tok.value], tok.pos
        raise FilterError(f"expected a value after {after!r}, found {_describe(tok)}", tok.pos)


def _field(tok: _Token) -> Field:
    head, *path = tok.value
    name = head.lower()
    if name not in _FIELDS:
        raise FilterError(
            f"unknown field {head!r} (expected config.<key>, summary.<key>, {', '.join(list(_FIELDS)[2:])})",
            tok.pos,
        )
    if _FIELDS[name][0] == "json" and not path:
        raise FilterError(f"expected '.' and a key after {head!r}", tok.pos + len(head))
    if _FIELDS[name][0] != "json" and path:
        raise FilterError(f"{name!r} has no keys; only config and summary do", tok.pos + len(head))
    return Field(name, tuple(path), tok.pos)


def _kind_of(value: Literal) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "string" if isinstance(value, str) else "number"


_A_KIND = {"string": "a string", "number": "a number", "boolean": "true or false", "null": "null"}


def _check(field: Field, op: str, op_pos: int, values: list[tuple[Literal, int]]) -> None:
    """Refuse operators and values that cannot apply to the field."""
    kind = _FIELDS[field.name][0]
    if op.endswith("exists") and kind != "json":
        raise FilterError(f"{op!r} applies to config and summary keys, not {field.name!r}", op_pos)
    if kind == "tags" and op not in ("contains", "not contains", "in", "not in"):
        raise FilterError("tags take 'contains', 'not contains', 'in' or 'not in'", op_pos)
    if kind in ("number", "time", "time?") and op in ("~", "!~", "contains", "not contains"):
        raise FilterError(f"{op!r} applies to text, not {field.name!r}", op_pos)
    allowed = {
        "json": {"string", "number", "boolean", "null"},
        "text": {"string", "null"},
        "user": {"string", "null"},
        "tags": {"string"},
        "number": {"number"},
        "time": {"string"},
        "time?": {"string", "null"},
    }[kind]
    if op in ("<", "<=", ">", ">="):
        allowed -= {"boolean", "null"}
    if op in ("~", "!~", "contains", "not contains"):
        allowed = {"string"}
    for value, pos in values:
        if _kind_of(value) not in allowed:
            names = [
                _A_KIND[k] for k in sorted(allowed - {"null"} if len(allowed) > 1 else allowed)
            ]
            if kind.startswith("time"):
                names = ["a date string"]
            shown = ".".join((field.name, *field.path))
            raise FilterError(
                f"expected {' or '.join(names)} after {op!r} for {shown!r}, found {_A_KIND[_kind_of(value)]}",
                pos,
            )
        if kind.startswith("time") and isinstance(value, str) and _parse_time(value) is None:
            raise FilterError(
                f'expected a date like "2026-11-01" or "2026-11-01T12:00:00Z", found {value!r}', pos
            )
        if op in ("~", "!~") and isinstance(value, str):
            try:
                re.compile(value)
            except re.error as e:
                raise FilterError(f"invalid regular expression ({e})", pos) from e


def _parse_time(text: str) -> tuple[dt.datetime, dt.datetime | None] | None:
    """(instant, None) for a date-time; (start, end) of the UTC day for a date."""
    try:
        if (day := parse_date(text)) is not None:
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
            return start, start + dt.timedelta(days=1)
        if (moment := parse_datetime(text)) is not None:
            return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)), None
    except ValueError:  # well formed but impossible, such as 2026-02-30
        return None
    return None


def parse_filter(text: str) -> Node:
    """Parse the filter language; raise FilterError on anything it refuses."""
    return _Parser(text).parse()


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
    if kind == "time?":
        return Q(**{f"{field.name}__isnull": False})
    return _ALL


def _equal(kind: str, column: str, value: Literal) -> Q:
    if value is None:
        return Q(user__isnull=True) if kind == "user" else Q(**{column: ""})
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


def filter_runs(qs: QuerySet[Run], text: str) -> QuerySet[Run]:
    """Narrow `qs` to the runs the filter matches; a blank filter keeps them all."""
    if not text.strip():
        return qs
    return qs.filter(_compile(parse_filter(text)))


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
