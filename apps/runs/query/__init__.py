"""The filter and order language of runs (docs/protocol.md): parsed into a
tree (`parse`), then compiled to a Django query (`compile`, from the SQL
expressions in `expressions`). Callers import from here."""

from .compile import filter_runs, json_value_in, order_runs
from .parse import (
    MAX_LENGTH,
    And,
    Comparison,
    Field,
    FilterError,
    Literal,
    Node,
    Not,
    Or,
    field_parse,
    parse_filter,
)

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
    "filter_runs",
    "json_value_in",
    "order_runs",
    "parse_filter",
]
