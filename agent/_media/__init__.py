"""Rich media: images, histograms, video, audio, tables, figures, HTML and charts (``agent.plot``).

A media value is encoded when it is constructed (so a later change to the
array is not what gets logged) and written to the run's folder when it is
logged; the history row holds a reference ``{"_type": ..., "path": ...}``
and the file travels to the server like any saved file, from the background
process. Nothing here touches the network.

numpy is imported only for values that are numpy arrays already (or to bin
a histogram, when installed); Pillow only for PIL images, GIF encoding and
reading the size of an image file. PNG and WAV are written with the
standard library. The formats are documented in ``docs/media.md``.
"""

from __future__ import annotations

import types

from .._values import is_array
from ._av import Audio, Video
from ._base import Media, _Writer
from ._chart import Chart
from ._data import Html, Plotly, Table
from ._histogram import Histogram
from ._image import Image, png_encode
from ._molecule import Molecule
from ._object3d import Object3D
from ._overlays import Classes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._run import Run

__all__ = [
    "Audio", "Chart", "Classes", "Histogram", "Html", "Image", "Media", "Molecule", "Object3D", "Plotly", "Table", "Video",
    "png_encode", "reference",
]


def reference(run: Run, key: str, step: int, value: Any) -> dict[str, Any]:
    """Write a logged media value (or a list of images) and return its history reference."""
    if isinstance(value, (list, tuple)):
        items = [_as_media(v) for v in value]
        if not items:
            raise ValueError("an empty list is not a media value")
        if any(isinstance(m, Histogram) for m in items):
            raise ValueError("a list logs images, or media kept as files (audio, video, ...): not histograms")
        written = [m._write(_Writer(run, key, step, i)) for i, m in enumerate(items)]
        if all(isinstance(m, Image) for m in items):
            return {"_type": "images", "items": written}
        # Audio, video, ... (W&B logs any list of media under one key): each item keeps its _type.
        return {"_type": "media-list", "items": written}
    return _as_media(value)._write(_Writer(run, key, step))


def _as_media(value: Any) -> Media:
    if isinstance(value, Media):
        return value
    if _is_figure(value):
        return Plotly(value)
    if is_array(value):
        return Histogram(value, num_bins=32)  # W&B's rule for an array of numbers
    raise ValueError(f"a {type(value).__name__} is not a media value")


def _is_figure(value: Any) -> bool:
    """A Plotly figure, a matplotlib figure, or ``matplotlib.pyplot`` itself (its current figure, as in W&B)."""
    if isinstance(value, types.ModuleType):
        return value.__name__ == "matplotlib.pyplot"
    module = type(value).__module__
    return module.startswith("plotly.graph_objs") or module == "matplotlib.figure"
