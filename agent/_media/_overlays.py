"""Bounding boxes and segmentation masks of an image, in W&B's shapes.

``boxes={"predictions": {"box_data": [...], "class_labels": {0: "cat"}}}`` and
``masks={"predictions": {"mask_data": H×W class ids, "class_labels": {...}}}``
(or ``{"path": "mask.png"}``). What is wrong in them is a warning naming the
group, and that group (or that box) is left out: the image is still logged.
"""

from __future__ import annotations

import math
import os
import warnings

from .._errors import AgentWarning
from .._values import jsonable
from ._base import _numpy, png_encode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

_CORNERS = ("minX", "maxX", "minY", "maxY")


def _warn(message: str) -> None:
    warnings.warn(f"cairn: agent.Image: {message}", AgentWarning, stacklevel=4)


def _labels(value: Any, where: str) -> Optional[dict[str, str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        _warn(f"{where}: class_labels is a dict {{class id: name}}, not {type(value).__name__}")
        return None
    out = {}
    for k, v in value.items():
        try:
            out[str(int(k))] = str(v)
        except (TypeError, ValueError):
            _warn(f"{where}: class_labels keys are integer class ids, not {k!r}")
            return None
    return out


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _box(raw: Any, where: str) -> Optional[dict[str, Any]]:
    """One W&B box, checked; None (with a warning) when it cannot be drawn."""
    if not isinstance(raw, dict) or not isinstance(raw.get("position"), dict):
        _warn(f"{where}: a box is a dict with a 'position', not {raw!r:.80}")
        return None
    box = jsonable(raw)
    pos = box["position"]
    if all(_finite(pos.get(k)) for k in _CORNERS):
        if pos["minX"] > pos["maxX"] or pos["minY"] > pos["maxY"]:
            _warn(f"{where}: a box has minX > maxX or minY > maxY: {pos}")
            return None
    elif (
        isinstance(pos.get("middle"), list) and len(pos["middle"]) == 2
        and all(_finite(c) for c in pos["middle"]) and _finite(pos.get("width")) and _finite(pos.get("height"))
    ):
        if pos["width"] < 0 or pos["height"] < 0:
            _warn(f"{where}: a box has a negative width or height: {pos}")
            return None
    else:
        _warn(f"{where}: a box's position is {{minX, maxX, minY, maxY}} or {{middle: [x, y], width, height}}, "
              f"not {pos!r:.80}")
        return None
    if "class_id" in box and not (isinstance(box["class_id"], int) and not isinstance(box["class_id"], bool)):
        _warn(f"{where}: class_id is an integer, not {box['class_id']!r}")
        return None
    if box.get("domain") not in (None, "pixel"):
        _warn(f"{where}: domain is 'pixel' or left out (fractions of the image), not {box['domain']!r}")
        return None
    if "scores" in box and not (isinstance(box["scores"], dict) and all(_finite(s) for s in box["scores"].values())):
        _warn(f"{where}: scores is a dict {{name: number}}, not {box['scores']!r:.80}")
        return None
    if "box_caption" in box:
        box["box_caption"] = str(box["box_caption"])
    return dict(box)


def boxes_of(boxes: Any) -> Any:
    """W&B box groups → ``{group: {"box_data": [...], "class_labels": {...}}}`` for the reference
    (Cairn's first form, a list of ``{"box": [x0, y0, x1, y1], ...}`` in pixels, stays a list)."""
    if boxes is None:
        return {}
    if isinstance(boxes, (list, tuple)):
        return [b for b in (_legacy_box(b) for b in boxes) if b is not None]
    if not isinstance(boxes, dict):
        _warn(f"boxes is a dict {{group: {{'box_data': [...], 'class_labels': {{...}}}}}}, not {type(boxes).__name__}")
        return {}
    out: dict[str, Any] = {}
    for name, group in boxes.items():
        where = f"boxes[{name!r}]"
        if not isinstance(group, dict) or not isinstance(group.get("box_data"), (list, tuple)):
            _warn(f"{where} is a dict with a list 'box_data'; left out")
            continue
        labels = _labels(group.get("class_labels"), where)
        if labels is None:
            continue
        data = [b for b in (_box(raw, where) for raw in group["box_data"]) if b is not None]
        out[str(name)] = {"box_data": data, **({"class_labels": labels} if labels else {})}
    return out


def _legacy_box(value: Any) -> Optional[dict[str, Any]]:
    box, coords = (dict(value), value.get("box")) if isinstance(value, dict) else ({}, value)
    try:
        x0, y0, x1, y1 = (float(c) for c in coords)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        _warn(f"a box is [x0, y0, x1, y1] in pixels, not {coords!r:.80}")
        return None
    if not all(math.isfinite(c) for c in (x0, y0, x1, y1)):
        _warn(f"a box has a coordinate that is not finite: {coords!r:.80}")
        return None
    out = dict(jsonable(box))
    out["box"] = [x0, y0, x1, y1]
    return out


def masks_of(masks: Any, width: Optional[int], height: Optional[int]) -> dict[str, tuple[bytes, dict[str, str]]]:
    """W&B mask groups → ``{group: (PNG of class ids, class_labels)}``."""
    if masks is None:
        return {}
    if not isinstance(masks, dict):
        _warn(f"masks is a dict {{group: {{'mask_data': array, 'class_labels': {{...}}}}}}, not {type(masks).__name__}")
        return {}
    out: dict[str, tuple[bytes, dict[str, str]]] = {}
    for name, group in masks.items():
        where = f"masks[{name!r}]"
        labels: Optional[dict[str, str]] = {}
        if isinstance(group, dict) and "path" in group:
            png = _mask_file(group["path"], where)
            labels = _labels(group.get("class_labels"), where)
        elif isinstance(group, dict) and "mask_data" in group:
            png = _mask_png(group["mask_data"], where, width, height)
            labels = _labels(group.get("class_labels"), where)
        elif isinstance(group, dict):
            _warn(f"{where} is a dict with 'mask_data' (H×W class ids) or 'path'; left out")
            continue
        else:
            png = _mask_png(group, where, width, height)  # Cairn's first form: the array itself
        if png is not None and labels is not None:
            out[str(name)] = (png, labels)
    return out


def _mask_png(data: Any, where: str, width: Optional[int], height: Optional[int]) -> Optional[bytes]:
    try:
        arr = _numpy(data)
    except Exception as exc:
        _warn(f"{where}: mask_data is not an array ({exc}); left out")
        return None
    if arr.ndim != 2 or arr.dtype.kind not in "biu" and arr.dtype.kind != "f":
        _warn(f"{where}: mask_data is a 2-D array of class ids, not shape {tuple(arr.shape)} {arr.dtype}; left out")
        return None
    if width is not None and height is not None and tuple(arr.shape) != (height, width):
        _warn(f"{where}: mask_data has shape {tuple(arr.shape)}, the image is {height}×{width}; left out")
        return None
    if arr.size and (arr.min() < 0 or arr.max() > 255 or (arr.dtype.kind == "f" and (arr != arr.round()).any())):
        _warn(f"{where}: class ids are integers 0 to 255; left out")
        return None
    return png_encode(arr.astype("uint8"))


def _mask_file(path: Any, where: str) -> Optional[bytes]:
    try:
        with open(os.fspath(path), "rb") as fh:
            data = fh.read()
    except (OSError, TypeError) as exc:
        _warn(f"{where}: cannot read the mask file ({exc}); left out")
        return None
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        _warn(f"{where}: a mask file is a PNG of class ids; left out")
        return None
    return data


class Classes(list):
    """W&B's ``Classes``: the class set of an image's boxes and masks, ``[{"id": 1, "name": "cat"}, ...]``.

    It is the list itself: ``Image(..., classes=Classes([...]))`` reads it as it reads a plain list.

    >>> Classes([{"id": 1, "name": "cat"}])[0]["name"]
    'cat'
    """

    def __init__(self, class_set: Any) -> None:
        items = []
        for item in class_set or []:
            if not isinstance(item, dict) or "id" not in item or "name" not in item:
                raise ValueError(f'each class is {{"id": int, "name": str}}, not {item!r}')
            items.append({"id": int(item["id"]), "name": str(item["name"])})
        super().__init__(items)
