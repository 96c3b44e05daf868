"""Images."""

from __future__ import annotations

import io
import types

from ._base import (
    IMAGE_FORMATS,
    Media,
    _image_array,
    _image_size,
    _is_path,
    _is_pil,
    _pil_png,
    _read_file,
    _safe_segment,
    _sniff_image,
    _Writer,
    png_encode,
)
from ._overlays import _labels, boxes_of, masks_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional

_NATURAL_MODE = {3: "RGB", 4: "RGBA"}


class Image(Media):
    """An image, as ``wandb.Image`` takes it.

    ``data_or_path``: a numpy array (H×W, H×W×1/3/4, also C×H×W), a torch tensor
    (C×H×W), a PIL image, a matplotlib figure (or ``matplotlib.pyplot``, its
    current figure), a file path, the bytes of a PNG, JPEG, GIF, WebP or BMP
    file, or another ``Image``. With ``normalize`` (the default), pixel values
    all in [0, 1] are scaled by 255, all in [-1, 1] mapped to 0-255, anything
    else taken as 0-255 and clipped. ``mode`` is a PIL mode ("L", "RGB",
    "RGBA", ...) to convert to (Pillow); ``file_type`` "png" (default), "jpg",
    "webp", "bmp" or "gif" (Pillow, for other than PNG).

    ``boxes``: ``{"predictions": {"box_data": [{"position": {"minX": .1, "maxX": .5,
    "minY": .2, "maxY": .6}, "class_id": 0, "box_caption": "cat", "scores": {"acc": .9}},
    ...], "class_labels": {0: "cat"}}}``, positions as fractions of the image, or
    pixels with ``"domain": "pixel"``; a position may be ``{"middle": [x, y],
    "width": w, "height": h}``. ``masks``: ``{"predictions": {"mask_data": H×W
    class ids, "class_labels": {...}}}`` or ``{"path": "mask.png"}``. A box or mask
    that cannot be drawn is a warning and left out; the image is still logged.

    >>> import numpy as np
    >>> img = Image(np.zeros((8, 8, 3), dtype=np.uint8), caption="black")
    >>> img.width, img.height, img.format
    (8, 8, 'png')
    """

    kind = "image"

    def __init__(
        self,
        data_or_path: Any,
        mode: Optional[str] = None,
        caption: Optional[str] = None,
        grouping: Optional[int] = None,
        classes: Optional[Sequence[dict[str, Any]]] = None,
        boxes: Any = None,
        masks: Any = None,
        file_type: Optional[str] = None,
        normalize: bool = True,
        *,
        class_labels: Optional[dict[Any, str]] = None,
    ) -> None:
        self.caption = None if caption is None else str(caption)
        self.grouping = grouping
        self.data: bytes
        self.format: str
        self.width: Optional[int]
        self.height: Optional[int]
        data = data_or_path
        if isinstance(data, Image):
            self.data, self.format, self.width, self.height = data.data, data.format, data.width, data.height
            if self.caption is None:
                self.caption = data.caption
        elif _is_matplotlib(data):
            self._from_png(_render_figure(data), mode, file_type)
        elif _is_path(data):
            self.data, ext = _read_file(data, IMAGE_FORMATS, "image")
            self.format = IMAGE_FORMATS[ext]
            self.width, self.height = _image_size(self.data)
        elif isinstance(data, (bytes, bytearray)):
            self.data, self.format = bytes(data), _sniff_image(data)
            self.width, self.height = _image_size(self.data)
        elif _is_pil(data):
            self._from_pil(data, mode, file_type)
        else:
            arr = _image_array(data, normalize)
            natural = "L" if arr.ndim == 2 else _NATURAL_MODE[int(arr.shape[2])]
            if (mode is None or mode == natural) and file_type in (None, "png"):
                self.data, self.format = png_encode(arr), "png"
                self.height, self.width = int(arr.shape[0]), int(arr.shape[1])
            else:
                self._from_pil(_pil().fromarray(arr), mode, file_type)
        self.boxes = boxes_of(boxes)
        masks_found = masks_of(masks, self.width, self.height)
        self.masks = {name: png for name, (png, _) in masks_found.items()}
        self.mask_labels = {name: labels for name, (_, labels) in masks_found.items() if labels}
        # Every class named anywhere, as W&B gathers them: legacy class_labels, classes, then groups'.
        merged = dict(_labels(class_labels, "class_labels") or {})
        for c in classes or []:
            if isinstance(c, dict) and "id" in c and "name" in c:
                merged[str(c["id"])] = str(c["name"])
        if isinstance(self.boxes, dict):
            for group in self.boxes.values():
                merged.update(group.get("class_labels", {}))
        for labels in self.mask_labels.values():
            merged.update(labels)
        self.class_labels = merged

    def _from_png(self, png: bytes, mode: Optional[str], file_type: Optional[str]) -> None:
        if mode is None and file_type in (None, "png"):
            self.data, self.format = png, "png"
            self.width, self.height = _image_size(png)
        else:
            with _pil().open(io.BytesIO(png)) as im:
                im.load()
                self._from_pil(im, mode, file_type)

    def _from_pil(self, image: Any, mode: Optional[str], file_type: Optional[str]) -> None:
        if mode is not None and image.mode != mode:
            image = image.convert(mode)
        fmt = IMAGE_FORMATS.get((file_type or "png").lower().lstrip("."))
        if fmt is None:
            raise ValueError(f"file_type is one of {', '.join(sorted(IMAGE_FORMATS))}, not {file_type!r}")
        if fmt == "png":
            self.data = _pil_png(image)
        else:
            if fmt in ("jpeg", "bmp") and image.mode not in ("L", "RGB"):
                image = image.convert("RGB")
            buf = io.BytesIO()
            image.save(buf, format=fmt.upper())
            self.data = buf.getvalue()
        self.format = fmt
        self.width, self.height = int(image.width), int(image.height)

    def _write(self, out: _Writer) -> dict[str, Any]:
        ref: dict[str, Any] = {"_type": "image", **out.file("image", self.data, self.format)}
        ref["format"] = self.format
        if self.width is not None:
            ref["width"], ref["height"] = self.width, self.height
        if self.caption is not None:
            ref["caption"] = self.caption
        if self.grouping is not None:
            ref["grouping"] = self.grouping
        if self.boxes:
            ref["boxes"] = self.boxes
        if self.masks:
            ref["masks"] = {}
            for name, png in self.masks.items():
                mask = out.file("image", png, "png", suffix=f".mask-{_safe_segment(name)}")
                if name in self.mask_labels:
                    mask["class_labels"] = self.mask_labels[name]
                ref["masks"][name] = mask
        if self.class_labels:
            ref["class_labels"] = self.class_labels
        return ref


def _pil() -> Any:
    try:
        from PIL import Image as PILImage
    except ImportError:
        raise ValueError("agent.Image needs Pillow for mode=, file_type= other than png, or a figure") from None
    return PILImage


def _is_matplotlib(value: Any) -> bool:
    if isinstance(value, types.ModuleType):
        return value.__name__ == "matplotlib.pyplot"
    return type(value).__module__.startswith("matplotlib.") and (
        hasattr(value, "savefig") or hasattr(value, "get_figure")
    )


def _render_figure(value: Any) -> bytes:
    """A PNG of a matplotlib figure (an axes' or artist's figure; pyplot's current figure), by its own savefig."""
    if isinstance(value, types.ModuleType):
        value = value.gcf()
    elif not hasattr(value, "savefig"):
        value = value.get_figure()
    buf = io.BytesIO()
    value.savefig(buf, format="png")
    return buf.getvalue()


def current_figure(value: Any) -> Any:
    """``matplotlib.pyplot`` logged as a value means its current figure, as in W&B."""
    if isinstance(value, types.ModuleType) and value.__name__ == "matplotlib.pyplot":
        return value.gcf()
    return value

