"""3-D point clouds (``wandb.Object3D``): points, and optional 3-D boxes and vectors."""

from __future__ import annotations

import json
import math
import os

from .._values import jsonable
from ._base import Media, _numpy, _Writer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

# 3-D model files are stored as they are and offered for download (no viewer).
MODEL_FORMATS = ("obj", "gltf", "glb", "babylon", "stl")


class Object3D(Media):
    """A 3-D point cloud, as ``wandb.Object3D`` takes it.

    ``data_or_path``: a numpy array N×3 (x, y, z), N×4 (x, y, z, category) or
    N×6 (x, y, z, r, g, b with r, g, b in 0-255); a dict ``{"type": "lidar/beta",
    "points": array, "boxes": [{"corners": 8 × [x, y, z], "label": "car",
    "color": [r, g, b], "score": 0.9}], "vectors": [{"start": [x, y, z],
    "end": [x, y, z]}]}``; or a path to a ``.pts.json`` file of that dict (or
    an .obj, .gltf, .glb, .babylon or .stl file, stored for download).

    >>> import numpy as np
    >>> Object3D(np.zeros((5, 3))).points
    5
    """

    kind = "object3d"

    def __init__(self, data_or_path: Any, caption: Optional[str] = None, **kwargs: Any) -> None:
        self.caption = None if caption is None else str(caption)
        self.points: Optional[int] = None
        if isinstance(data_or_path, (str, os.PathLike)):
            name = os.fspath(data_or_path)
            lower = name.lower()
            with open(name, "rb") as fh:
                raw = fh.read()
            if lower.endswith(".pts.json"):
                cloud = _cloud(json.loads(raw.decode("utf-8")))
            else:
                ext = lower.rsplit(".", 1)[-1]
                if ext not in MODEL_FORMATS:
                    raise ValueError(f"{name}: a 3-D file is .pts.json or one of {', '.join(MODEL_FORMATS)}")
                self.data, self.format = raw, ext
                return
        elif isinstance(data_or_path, dict):
            cloud = _cloud(data_or_path)
        else:
            cloud = {"type": "lidar/beta", "points": _points(data_or_path)}
        self.points = len(cloud["points"])
        self.data = json.dumps(cloud, separators=(",", ":"), allow_nan=False).encode()
        self.format = "pts.json"

    @classmethod
    def from_numpy(cls, data: Any) -> Object3D:
        """From an N×3, N×4 or N×6 array."""
        return cls(data)

    @classmethod
    def from_file(cls, data_or_path: Any, file_type: Optional[str] = None) -> Object3D:
        """From a ``.pts.json`` (or 3-D model) file."""
        return cls(data_or_path)

    @classmethod
    def from_point_cloud(
        cls, points: Any, boxes: Any, vectors: Any = None, point_cloud_type: str = "lidar/beta"
    ) -> Object3D:
        """From points, 3-D boxes and vectors."""
        return cls({"type": point_cloud_type, "points": points, "boxes": boxes, "vectors": vectors or []})

    def _write(self, out: _Writer) -> dict[str, Any]:
        ref: dict[str, Any] = {"_type": "object3d", **out.file("object3d", self.data, self.format)}
        ref["format"] = self.format
        if self.points is not None:
            ref["points"] = self.points
        if self.caption is not None:
            ref["caption"] = self.caption
        return ref


def _points(data: Any) -> list[list[Any]]:
    arr = _numpy(data)
    if arr.ndim != 2 or arr.shape[1] not in (3, 4, 6):
        raise ValueError(f"points of shape {tuple(arr.shape)} (use N×3, N×4 with a category, or N×6 with RGB)")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"points of dtype {arr.dtype} (use numbers)")
    import numpy as np

    values = arr.astype(np.float64)
    if not bool(np.isfinite(values).all()):
        raise ValueError("points hold NaN or infinity")
    return [[_num(v) for v in row] for row in values.tolist()]


def _num(v: float) -> Any:
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def _cloud(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or "points" not in value:
        raise ValueError('a point cloud is {"type": "lidar/beta", "points": ..., "boxes": [...]}')
    cloud: dict[str, Any] = {"type": str(value.get("type", "lidar/beta")), "points": _points(value["points"])}
    boxes = []
    for i, box in enumerate(value.get("boxes") or []):
        corners = box.get("corners") if isinstance(box, dict) else None
        try:
            corners = [[float(c) for c in corner] for corner in corners]  # type: ignore[union-attr]
        except (TypeError, ValueError):
            corners = None
        if not corners or len(corners) != 8 or any(len(c) != 3 or not all(map(math.isfinite, c)) for c in corners):
            raise ValueError(f"3-D box {i}: corners are 8 points [x, y, z]")
        boxes.append({**jsonable(box), "corners": corners})
    if boxes:
        cloud["boxes"] = boxes
    vectors = [jsonable(v) for v in value.get("vectors") or []]
    if vectors:
        cloud["vectors"] = vectors
    return cloud
