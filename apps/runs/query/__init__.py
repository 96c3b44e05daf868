"""The filter and order language of runs (docs/protocol.md): parsed into a
tree, then compiled to a Django query. Callers import from here."""

from .filters import (
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
    filter_runs,
    order_runs,
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
    "order_runs",
    "parse_filter",
]
