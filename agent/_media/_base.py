"""The base of the media types: writing files into the run folder, arrays, files."""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import sys
import zlib

from .. import _spool

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

    from .._run import Run

IMAGE_FORMATS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp", "bmp": "bmp"}
VIDEO_FORMATS = ("mp4", "webm", "gif")
AUDIO_FORMATS = ("wav", "mp3", "ogg", "flac")
_SEGMENT = re.compile(r"[^A-Za-z0-9._-]")


class Media:
    """Base of the media types: ``_write`` puts the files in the run folder, returns the reference."""

    _cairn_media = True
    kind = ""

    def _write(self, out: _Writer) -> dict[str, Any]:
        raise NotImplementedError


class _Writer:
    """Writes the files of one logged value into ``<run>/files/media/<kind>/<key>/``."""

    def __init__(self, run: Run, key: str, step: int, index: int = 0) -> None:
        self.run = run
        self.key = key
        self.step = step
        self.index = index

    def file(self, kind: str, data: bytes, ext: str, suffix: str = "") -> dict[str, Any]:
        sha = hashlib.sha256(data).hexdigest()
        segments = [_safe_segment(s) for s in self.key.split("/")] or ["_"]
        name = f"{self.step}-{self.index}-{sha[:16]}{suffix}.{ext}"
        rel = "/".join(["media", kind, *segments, name])
        run_dir = self.run.dir
        if run_dir is None:
            raise ValueError("the run has no folder")
        dst = os.path.join(run_dir, "files", *rel.split("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        tmp = dst + ".cairn-tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dst)
        self.run._record(_spool.MEDIA, (rel, sha, len(data)))
        return {"path": rel, "sha256": sha, "size": len(data)}


def _safe_segment(segment: str) -> str:
    cleaned = _SEGMENT.sub("_", segment).lstrip(".")[:100]
    return cleaned or "_"


def _numpy(value: Any) -> Any:
    """``value`` as a numpy array (numpy arrays, torch tensors, nested lists), importing numpy."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    import numpy as np

    return np.asarray(value)


def _to_uint8(arr: Any, normalize: bool = True) -> Any:
    """Pixel values as uint8, the W&B way: with ``normalize``, values all in [0, 1] are scaled
    by 255, values all in [-1, 1] are mapped from -1..1 to 0..255, and anything else is taken
    as 0-255 and clipped (a warning when some fall outside); without, clipped as they are."""
    import numpy as np

    if arr.dtype == np.uint8 and not normalize:
        return arr
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"an image of dtype {arr.dtype} (use numbers: uint8 0-255, or floats)")
    values = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
    if normalize and values.size:
        lo, hi = float(values.min()), float(values.max())
        if lo >= 0.0 and hi <= 1.0:
            values = values * 255.0
        elif lo >= -1.0 and hi <= 1.0:
            values = (values + 1.0) * 127.5
        elif lo < 0.0 or hi > 255.0:
            import warnings

            from .._errors import AgentWarning

            warnings.warn(
                f"cairn: agent.Image: pixel values from {lo:g} to {hi:g} are clipped to 0-255",
                AgentWarning, stacklevel=4,
            )
    return (np.clip(values, 0.0, 255.0) + 0.5).astype(np.uint8)


def _image_array(value: Any, normalize: bool = True) -> Any:
    """An H×W or H×W×C (C = 3, 4) uint8 array from what users pass: numpy H×W, H×W×C
    (also C×H×W), torch tensors C×H×W (as W&B takes them), trivial dimensions dropped."""
    torch = sys.modules.get("torch")
    is_tensor = torch is not None and isinstance(value, torch.Tensor)
    arr = _numpy(value)
    while arr.ndim > 3 and arr.shape[0] == 1:
        arr = arr[0]  # a batch of one
    if is_tensor and arr.ndim == 3 and arr.shape[0] in (1, 3, 4):
        arr = arr.transpose(1, 2, 0)
    elif arr.ndim == 3 and arr.shape[0] in (1, 3, 4) and arr.shape[2] not in (1, 3, 4):
        arr = arr.transpose(1, 2, 0)  # C×H×W, as torch keeps them
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ValueError(f"an image of shape {tuple(arr.shape)} (use H×W, H×W×1, H×W×3 or H×W×4)")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError("an empty image")
    return _to_uint8(arr, normalize)


def png_encode(arr: Any) -> bytes:
    """A PNG of an H×W or H×W×C uint8 array, with zlib alone (no Pillow)."""
    import numpy as np

    height, width = int(arr.shape[0]), int(arr.shape[1])
    channels = 1 if arr.ndim == 2 else int(arr.shape[2])
    color = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    raw = np.zeros((height, 1 + width * channels), dtype=np.uint8)  # filter byte 0 per row
    raw[:, 1:] = np.ascontiguousarray(arr).reshape(height, width * channels)

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def _is_pil(value: Any) -> bool:
    return type(value).__module__.startswith("PIL.")


def _pil_png(image: Any) -> bytes:
    if image.mode not in ("1", "L", "LA", "RGB", "RGBA", "I;16"):
        image = image.convert("RGBA")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _image_size(data: bytes) -> tuple[Optional[int], Optional[int]]:
    """Width and height from an image file's header: PNG and GIF by hand, others with Pillow if present."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    try:
        from PIL import Image as PILImage

        with PILImage.open(io.BytesIO(data)) as im:
            return int(im.width), int(im.height)
    except Exception:
        return None, None


def _sniff_image(data: bytes) -> str:
    for magic, name in _IMAGE_MAGIC:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise ValueError("image bytes are PNG, JPEG, GIF, WebP or BMP")


_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF87a", "gif"),
    (b"GIF89a", "gif"), (b"BM", "bmp"),
)


def _read_file(path: Any, allowed: Any, what: str) -> tuple[bytes, str]:
    name = os.fspath(path)
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    if ext not in allowed:
        raise ValueError(f"{name}: a {what} file is one of {', '.join(sorted(set(allowed)))}")
    with open(name, "rb") as fh:
        return fh.read(), ext


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))
