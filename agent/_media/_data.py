"""Tables, figures and HTML."""

from __future__ import annotations

import json
import os
import warnings

from .._values import jsonable
from ._base import Media, _Writer
from ._image import Image, current_figure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union


class Table(Media):
    """A table, as ``wandb.Table`` takes it: ``columns`` and ``data`` (or ``rows``) as a list of
    rows (or a 2-D numpy array), or a pandas ``dataframe``. Cells hold JSON values and ``agent.Image``.

    Unless ``allow_mixed_types``, a column's cells are all of one kind (numbers, strings,
    booleans, images, lists or dicts), and ``None`` only while ``optional``. ``dtype`` is
    accepted and not enforced.

    >>> t = Table(columns=["a", "b"], data=[[1, "x"]])
    >>> t.add_data(2, "y")
    >>> t.get_column("a"), t.columns, t.get_index()
    ([1, 2], ['a', 'b'], [0, 1])
    """

    kind = "table"
    MAX_ROWS = 10000

    def __init__(
        self,
        columns: Optional[list[Any]] = None,
        data: Any = None,
        rows: Any = None,
        dataframe: Any = None,
        dtype: Any = None,
        optional: Union[bool, list[bool]] = True,
        allow_mixed_types: bool = False,
    ) -> None:
        if data is None:
            data = rows
        if dataframe is not None:
            columns = [str(c) for c in dataframe.columns]
            data = [list(row) for row in dataframe.itertuples(index=False, name=None)]
        elif hasattr(data, "tolist") and getattr(data, "ndim", 2) == 2:
            data = data.tolist()  # a 2-D numpy array
        if columns is None:
            # W&B's default columns; rows of another width get c0, c1, ... instead of an error.
            width = len(data[0]) if data else 3
            columns = ["Input", "Output", "Expected"] if width == 3 else [f"c{i}" for i in range(width)]
        self.columns = [str(c) for c in columns]
        if len(set(self.columns)) != len(self.columns):
            raise ValueError(f"column names repeat: {self.columns}")
        self.dtype = dtype
        self.optional = optional
        self.allow_mixed_types = allow_mixed_types
        self._kinds: list[Optional[str]] = [None] * len(self.columns)
        self.data: list[list[Any]] = []
        for row in data or []:
            self.add_data(*row)

    @property
    def rows(self) -> list[list[Any]]:
        return self.data

    def add_data(self, *data: Any) -> None:
        """Add a row: one value per column."""
        if len(data) != len(self.columns):
            raise ValueError(f"a row of {len(data)} cells for {len(self.columns)} columns {self.columns}")
        cells = [c if isinstance(c, Media) else jsonable(c) for c in data]
        for j, cell in enumerate(cells):
            self._check(j, cell)
        self.data.append(cells)

    def add_column(self, name: str, data: Any, optional: bool = False) -> None:
        """Add a column: ``data`` has one value per row."""
        name = str(name)
        if name in self.columns:
            raise ValueError(f"there is a column {name!r} already")
        values = list(data.tolist() if hasattr(data, "tolist") else data)
        if self.columns and len(values) != len(self.data):
            raise ValueError(f"column {name!r} has {len(values)} values for {len(self.data)} rows")
        self.columns.append(name)
        self._kinds.append(None)
        if not self.data and len(self.columns) == 1:
            self.data = [[] for _ in values]
        for row, value in zip(self.data, values):
            cell = value if isinstance(value, Media) else jsonable(value)
            self._check(len(self.columns) - 1, cell, optional or self._optional(len(self.columns) - 1))
            row.append(cell)

    def add_computed_columns(self, fn: Any) -> None:
        """Add the columns ``fn(index, row)`` returns (a dict of name: value) for each row, ``row`` a dict."""
        computed = [fn(i, dict(zip(self.columns, row))) for i, row in enumerate(self.data)]
        names = list(computed[0]) if computed else []
        for name in names:
            self.add_column(name, [values[name] for values in computed])

    def get_column(self, name: str, convert_to: Optional[str] = None) -> Any:
        """The values of a column; ``convert_to="numpy"`` gives a numpy array."""
        if name not in self.columns:
            raise ValueError(f"no column {name!r} in {self.columns}")
        j = self.columns.index(name)
        values = [row[j] for row in self.data]
        if convert_to == "numpy":
            import numpy as np

            return np.array(values)
        if convert_to is not None:
            raise ValueError(f"convert_to is None or 'numpy', not {convert_to!r}")
        return values

    def get_index(self) -> list[int]:
        """The row numbers, 0 to len(data) - 1."""
        return list(range(len(self.data)))

    def _optional(self, j: int) -> bool:
        return bool(self.optional[j] if isinstance(self.optional, list) and j < len(self.optional) else self.optional)

    def _check(self, j: int, cell: Any, optional: Optional[bool] = None) -> None:
        if cell is None:
            if not (self._optional(j) if optional is None else optional):
                raise TypeError(f"column {self.columns[j]!r} is not optional: None in it")
            return
        kind = _cell_kind(cell)
        if self.allow_mixed_types:
            return
        if self._kinds[j] is None:
            self._kinds[j] = kind
        elif self._kinds[j] != kind:
            raise TypeError(
                f"column {self.columns[j]!r} holds {self._kinds[j]} values, not {kind} ({cell!r:.40}); "
                "Table(allow_mixed_types=True) takes both"
            )

    def _write(self, out: _Writer) -> dict[str, Any]:
        if len(self.data) > self.MAX_ROWS:
            raise ValueError(f"a table of {len(self.data)} rows: at most {self.MAX_ROWS} are logged")
        rows: list[list[Any]] = []
        n = 0
        for row in self.data:
            cells = []
            for cell in row:
                if isinstance(cell, Image):
                    n += 1
                    cell = cell._write(_Writer(out.run, out.key, out.step, 1000 + n))
                elif isinstance(cell, Media):
                    raise ValueError("table cells hold values and agent.Image only")
                cells.append(cell)
            rows.append(cells)
        body = json.dumps({"columns": self.columns, "data": rows}, separators=(",", ":"), default=str)
        ref: dict[str, Any] = {"_type": "table", **out.file("table", body.encode(), "table.json")}
        ref.update(ncols=len(self.columns), nrows=len(rows))
        return ref


def _cell_kind(cell: Any) -> str:
    if isinstance(cell, bool):
        return "boolean"
    if isinstance(cell, (int, float)):
        return "number"
    if isinstance(cell, str):
        return "string"
    if isinstance(cell, Media):
        return type(cell).__name__
    return "list" if isinstance(cell, list) else "dict" if isinstance(cell, dict) else type(cell).__name__


class Plotly(Media):
    """An interactive figure: a Plotly figure, a dict ``{"data": [...], "layout": {...}}``,
    or a matplotlib figure (converted to Plotly when plotly can, else logged as a PNG image).

    >>> Plotly({"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}]}).fallback is None
    True
    """

    kind = "plotly"

    def __init__(self, figure: Any) -> None:
        self.fallback: Optional[Image] = None
        self.data = b""
        figure = current_figure(figure)
        if type(figure).__module__ == "matplotlib.figure":
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    from plotly.tools import mpl_to_plotly

                    converted = mpl_to_plotly(figure)
                    if not converted.data:
                        raise ValueError("nothing converted")
                figure = converted
            except Exception:
                # plotly's converter breaks on many matplotlib versions and artists: the figure's own PNG.
                self.fallback = Image(figure)
                return
        if hasattr(figure, "to_json"):
            text = figure.to_json()
        elif isinstance(figure, dict):
            if not isinstance(figure.get("data", []), list):
                raise ValueError("a Plotly figure's data is a list of traces")
            text = json.dumps(jsonable(figure), separators=(",", ":"))
        else:
            raise ValueError(f"a {type(figure).__name__} is not a Plotly or matplotlib figure")
        self.data = text.encode()

    def _write(self, out: _Writer) -> dict[str, Any]:
        if self.fallback is not None:
            return self.fallback._write(out)
        return {"_type": "plotly", **out.file("plotly", self.data, "plotly.json")}


class Html(Media):
    """A custom panel: an HTML string or a path to an ``.html`` file (shown in a sandboxed frame).

    >>> len(Html("<b>hi</b>").data)
    9
    """

    kind = "html"

    def __init__(self, data: Union[str, os.PathLike[str]]) -> None:
        if isinstance(data, os.PathLike) or (
            isinstance(data, str) and data.lower().endswith((".html", ".htm")) and os.path.isfile(data)
        ):
            with open(os.fspath(data), "rb") as fh:
                self.data = fh.read()
        elif isinstance(data, str):
            self.data = data.encode("utf-8")
        else:
            raise ValueError("Html takes a string of HTML or a path to an .html file")

    def _write(self, out: _Writer) -> dict[str, Any]:
        return {"_type": "html", **out.file("html", self.data, "html")}
