"""Images."""

from __future__ import annotations

import math

from .._values import jsonable
from ._base import (
    IMAGE_FORMATS,
    Media,
    _image_array,
    _image_size,
    _is_path,
    _is_pil,
    _numpy,
    _pil_png,
    _read_file,
    _safe_segment,
    _sniff_image,
    _Writer,
    png_encode,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional


class Image(Media):
    """An image: a numpy array (H×W, H×W×1/3/4; uint8, or floats in [0, 1]), a PIL image,
    a file path, or the bytes of a PNG, JPEG, GIF, WebP or BMP file.

    ``boxes``: ``[{"box": [x0, y0, x1, y1], "label": "cat", "score": 0.9}, ...]``
    in pixels (``(x0, y0, x1, y1)`` tuples too). ``masks``: ``{"name": H×W
    array of class ids}``, with ``class_labels`` ``{1: "cat"}``. A list of
    images logs a gallery.

    >>> import numpy as np
    >>> img = Image(np.zeros((8, 8, 3), dtype=np.uint8), caption="black")
    >>> img.width, img.height, img.format
    (8, 8, 'png')
    """

    kind = "image"

    def __init__(
        self,
        data: Any,
        caption: Optional[str] = None,
        boxes: Optional[list[Any]] = None,
        masks: Optional[dict[str, Any]] = None,
        class_labels: Optional[dict[Any, str]] = None,
    ) -> None:
        self.caption = None if caption is None else str(caption)
        self.width: Optional[int]
        self.height: Optional[int]
        if _is_path(data):
            self.data, ext = _read_file(data, IMAGE_FORMATS, "image")
            self.format = "jpeg" if ext == "jpg" else ext
            self.width, self.height = _image_size(self.data)
        elif isinstance(data, (bytes, bytearray)):
            self.data, self.format = bytes(data), _sniff_image(data)
            self.width, self.height = _image_size(self.data)
        elif _is_pil(data):
            self.data, self.format = _pil_png(data), "png"
            self.width, self.height = int(data.width), int(data.height)
        else:
            arr = _image_array(data)
            self.data, self.format = png_encode(arr), "png"
            self.height, self.width = int(arr.shape[0]), int(arr.shape[1])
        self.boxes = [_box(b) for b in boxes or []]
        self.masks: dict[str, bytes] = {}
        for name, mask in (masks or {}).items():
            arr = _numpy(mask)
            if arr.ndim != 2:
                raise ValueError(f"mask {name!r} has shape {tuple(arr.shape)}; use H×W class ids")
            if arr.min() < 0 or arr.max() > 255:
                raise ValueError(f"mask {name!r}: class ids are 0 to 255")
            self.masks[str(name)] = png_encode(arr.astype("uint8"))
        self.class_labels = {str(k): str(v) for k, v in (class_labels or {}).items()}

    def _write(self, out: _Writer) -> dict[str, Any]:
        ref: dict[str, Any] = {"_type": "image", **out.file("image", self.data, self.format)}
        ref["format"] = self.format
        if self.width is not None:
            ref["width"], ref["height"] = self.width, self.height
        if self.caption is not None:
            ref["caption"] = self.caption
        if self.boxes:
            ref["boxes"] = self.boxes
        if self.masks:
            ref["masks"] = {
                name: out.file("image", png, "png", suffix=f".mask-{_safe_segment(name)}")
                for name, png in self.masks.items()
            }
        if self.class_labels:
            ref["class_labels"] = self.class_labels
        return ref


def _box(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        box = dict(value)
        coords = box.get("box")
    else:
        box, coords = {}, value
    try:
        numbers = [float(c) for c in coords]  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"a box is [x0, y0, x1, y1] in pixels, not {coords!r}") from None
    if len(numbers) != 4 or not all(math.isfinite(c) for c in numbers):
        raise ValueError(f"a box is [x0, y0, x1, y1] in pixels, not {coords!r}")
    out = jsonable(box)
    out["box"] = numbers
    return dict(out)
