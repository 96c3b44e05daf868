"""Charts (``agent.plot.*``): a table and how to draw it.

As in W&B, a chart is its data (an ``agent.Table``), a preset (W&B's Vega
spec id, ``wandb/line/v0`` ...), the field mapping (which column is x, y,
the series ...) and string fields (the title, axis titles). It is written
as the table's JSON file; the history reference carries the rest.
"""

from __future__ import annotations

import json

from ._base import Media, _Writer
from ._data import Table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

# W&B's preset ids and the chart each is drawn as.
SPECS = {
    "wandb/line/v0": "line",
    "wandb/lineseries/v0": "line_series",
    "wandb/scatter/v0": "scatter",
    "wandb/bar/v0": "bar",
    "wandb/histogram/v0": "histogram",
    "wandb/area-under-curve/v0": "curve",
    "wandb/confusion_matrix/v0": "confusion_matrix",
    "wandb/confusion_matrix/v1": "confusion_matrix",
}


class Chart(Media):
    """A chart to log: ``agent.log({"roc": agent.plot.roc_curve(y, probas)})``.

    ``chart`` is what the web app draws (``line``, ``roc_curve`` ..., or
    ``custom`` for a preset it does not know: shown as its table).

    >>> c = Chart("scatter", "wandb/scatter/v0", Table(columns=["a", "b"], data=[[1, 2]]), {"x": "a", "y": "b"})
    >>> c.table.columns, c.fields
    (['a', 'b'], {'x': 'a', 'y': 'b'})
    """

    kind = "chart"

    def __init__(
        self,
        chart: str,
        spec: str,
        table: Table,
        fields: dict[str, Any],
        string_fields: Optional[dict[str, Any]] = None,
    ) -> None:
        if not isinstance(table, Table):
            raise ValueError(f"a chart's data is an agent.Table, not a {type(table).__name__}")
        for row in table.rows:
            if any(isinstance(cell, Media) for cell in row):
                raise ValueError("a chart's table holds values only, no media")
        for name, column in fields.items():
            if column is not None and str(column) not in table.columns:
                raise ValueError(f"field {name!r}: the table has no column {column!r} (it has {table.columns})")
        self.chart = chart
        self.spec = spec
        self.table = table
        self.fields = {str(k): (None if v is None else str(v)) for k, v in fields.items()}
        self.string_fields = {str(k): ("" if v is None else str(v)) for k, v in (string_fields or {}).items()}

    def _write(self, out: _Writer) -> dict[str, Any]:
        body = json.dumps({"columns": self.table.columns, "data": self.table.rows}, separators=(",", ":"), default=str)
        ref: dict[str, Any] = {"_type": "chart", **out.file("chart", body.encode(), "table.json")}
        ref.update(
            chart=self.chart, spec=self.spec, fields=self.fields, string_fields=self.string_fields,
            ncols=len(self.table.columns), nrows=len(self.table.rows),
        )
        return ref
