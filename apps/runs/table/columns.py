"""The runs table's columns: what a column is, parsing and checking column ids.

A column is named by its id, written in the filter language's field syntax
(`state`, `config.model.layers`, ``summary.`val/loss` ``), so the id of a
column is also what sorts by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from apps.core.errors import BadInput
from apps.runs.query import FilterError, field_parse

__all__ = [
    "BUILTINS",
    "DEFAULT_COLUMNS",
    "MAX_COLUMNS",
    "Column",
    "column_parse",
    "columns_parse",
    "field_expr",
]

MAX_COLUMNS = 200

# id -> label. The order here is the order the picker offers them.
BUILTINS: dict[str, str] = {
    "state": "State",
    "tags": "Tags",
    "created_at": "Created",
    "runtime": "Runtime",
    "user": "User",
    "host": "Host",
    "group": "Group",
    "job_type": "Job type",
    "notes": "Notes",
    "id": "ID",
    "finished_at": "Finished",
    "fingerprint": "Fingerprint",
}
DEFAULT_COLUMNS = ["state", "tags", "created_at", "runtime", "user", "host"]
_PLAIN = re.compile(r"^[\w$-]+$")
_SOURCES = ("config", "summary")


@dataclass(frozen=True)
class Column:
    id: str
    source: str  # "run", "config" or "summary"
    path: tuple[str, ...]

    @property
    def label(self) -> str:
        return BUILTINS[self.id] if self.source == "run" else ".".join(self.path)

    @property
    def sortable(self) -> bool:
        return self.id != "tags"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "path": list(self.path), "label": self.label,
                "sortable": self.sortable}


def field_expr(source: str, path: Iterable[str]) -> str:
    """`config.a.b`, quoting a segment with backticks where the language needs it."""
    parts = [source]
    for seg in path:
        parts.append(seg if _PLAIN.fullmatch(seg) else "`" + seg.replace("`", "``") + "`")
    return ".".join(parts)


def column_parse(text: str) -> Column:
    """A column from its id, or BadInput. Ids are made canonical."""
    text = text.strip()
    if text in BUILTINS:
        return Column(text, "run", (text,))
    source, dot, rest = text.partition(".")
    if source not in _SOURCES or not dot or not rest:
        raise BadInput(f"Unknown column {text!r}: use a run field or config.<key> / summary.<key>.", "columns")
    try:
        path = list(field_parse(text)[1:])
    except FilterError as e:
        raise BadInput(f"Bad column {text!r}: {e}", "columns") from None
    return Column(field_expr(source, path), source, tuple(path))


def columns_parse(text: str) -> list[Column]:
    """Comma-separated column ids (a comma inside backticks belongs to the key)."""
    ids: list[str] = []
    current: list[str] = []
    quoted = False
    for c in text:
        if c == "`":
            quoted = not quoted
        if c == "," and not quoted:
            ids.append("".join(current))
            current = []
        else:
            current.append(c)
    ids.append("".join(current))
    columns = [column_parse(i) for i in ids if i.strip()]
    if len(columns) > MAX_COLUMNS:
        raise BadInput(f"At most {MAX_COLUMNS} columns.", "columns")
    return list({c.id: c for c in columns}.values())
