"""Tables, figures and HTML."""

from __future__ import annotations

import io
import json
import os

from .._values import jsonable
from ._base import Media, _Writer
from ._image import Image

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union


class Table(Media):
    """A table: ``columns`` and ``data`` (rows), or a pandas ``dataframe``. Cells may hold ``agent.Image``.

    >>> Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]]).columns
    ['a', 'b']
    """

    kind = "table"

    def __init__(
        self,
        columns: Optional[list[Any]] = None,
        data: Optional[list[Any]] = None,
        dataframe: Any = None,
    ) -> None:
        if dataframe is not None:
            columns = [str(c) for c in dataframe.columns]
            data = [list(row) for row in dataframe.itertuples(index=False, name=None)]
        if columns is None:
            if not data:
                raise ValueError("a table needs columns, data or a dataframe")
            columns = [f"c{i}" for i in range(len(data[0]))]
        self.columns = [str(c) for c in columns]
        self.rows: list[list[Any]] = []
        for i, row in enumerate(data or []):
            cells = list(row)
            if len(cells) != len(self.columns):
                raise ValueError(f"row {i} has {len(cells)} cells for {len(self.columns)} columns")
            self.rows.append([c if isinstance(c, Media) else jsonable(c) for c in cells])

    def _write(self, out: _Writer) -> dict[str, Any]:
        rows: list[list[Any]] = []
        n = 0
        for row in self.rows:
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
        module = type(figure).__module__
        if module == "matplotlib.figure":
            try:
                from plotly.tools import mpl_to_plotly

                figure = mpl_to_plotly(figure)
            except Exception:
                buf = io.BytesIO()
                figure.savefig(buf, format="png")
                self.fallback = Image(buf.getvalue())
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
