"""The filter language's tokenizer and parser: text to a tree of comparisons.

docs/protocol.md, "The filter language". `parse_filter` turns text into a small
AST and refuses bad input with a `FilterError` that says what was expected and
where. `compile` turns the tree into a query.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any, Union

from django.utils.dateparse import parse_date, parse_datetime

from apps.core.regex import RegexError, regex_check

__all__ = [
    "MAX_LENGTH",
    "And",
    "Comparison",
    "Field",
    "FilterError",
    "Literal",
    "Node",
    "Not",
    "Or",
    "field_parse",
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
    "fingerprint": ("text", "fingerprint"),
    # The sweep that handed the run out (its id); null for a run of no sweep.
    "sweep": ("text?", "sweep_trial__sweep__sweep_id"),
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
# A key the agent made of nested dicts (`test/acc`) needs no backticks: `/` means nothing else here.
_SEGMENT = re.compile(r"[\w$/-]+")
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
        elif c == "/" and tokens and tokens[-1].kind == "field" and len(tokens[-1].value) == 1:
            word = tokens[-1].text
            raise FilterError(
                f"unexpected '/': a key such as {word}/... goes after 'summary.' or 'config.'"
                f" (summary.{word}/...)", i)
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
        "text?": {"string", "null"},
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
                regex_check(value)  # RE2's syntax: what SQLite matches with (apps/core/db.py)
            except RegexError as e:
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
