"""The runs table: columns, rows, groups, saved views, CSV and bulk edits.
Callers import from here.

`columns` says what a column is, `selectors` reads (pages, rows, keys, groups,
CSV), `services` writes (the saved layout, bulk edits).
"""

from .columns import DEFAULT_COLUMNS, MAX_COLUMNS, Column, column_parse, columns_parse, field_expr
from .selectors import (
    KEYS_SAMPLE,
    MAX_BULK,
    MAX_KEY_DEPTH,
    MAX_KEYS,
    PAGE_SIZE,
    cell,
    filter_literal,
    row,
    runs_filtered,
    table_csv,
    table_groups,
    table_keys,
    table_order,
    table_page,
    table_rows_by_id,
    view_get,
)
from .services import runs_bulk, view_save

__all__ = [
    "Column",
    "DEFAULT_COLUMNS",
    "KEYS_SAMPLE",
    "MAX_BULK",
    "MAX_COLUMNS",
    "MAX_KEYS",
    "MAX_KEY_DEPTH",
    "PAGE_SIZE",
    "cell",
    "column_parse",
    "columns_parse",
    "field_expr",
    "filter_literal",
    "row",
    "runs_bulk",
    "runs_filtered",
    "table_csv",
    "table_groups",
    "table_keys",
    "table_order",
    "table_page",
    "table_rows_by_id",
    "view_get",
    "view_save",
]
