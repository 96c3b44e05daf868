"""Rich media: images, histograms, video, audio, tables, figures and HTML.

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

import hashlib
import io
import json
import math
import os
import re
import struct
import sys
import zlib

from . import _spool
from ._values import jsonable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union

    from ._run import Run

IMAGE_FORMATS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp", "bmp": "bmp"}
VIDEO_FORMATS = ("mp4", "webm", "gif")
AUDIO_FORMATS = ("wav", "mp3", "ogg", "flac")
MAX_BINS = 512
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


def reference(run: Run, key: str, step: int, value: Any) -> dict[str, Any]:
    """Write a logged media value (or a list of images) and return its history reference."""
    if isinstance(value, (list, tuple)):
        items = [_as_media(v) for v in value]
        if not items or not all(isinstance(m, Image) for m in items):
            raise ValueError("a list logs a gallery of agent.Image values only")
        return {
            "_type": "images",
            "items": [m._write(_Writer(run, key, step, i)) for i, m in enumerate(items)],
        }
    return _as_media(value)._write(_Writer(run, key, step))


def _as_media(value: Any) -> Media:
    if isinstance(value, Media):
        return value
    if _is_figure(value):
        return Plotly(value)
    raise ValueError(f"a {type(value).__name__} is not a media value")


def _is_figure(value: Any) -> bool:
    module = type(value).__module__
    return module.startswith("plotly.graph_objs") or module == "matplotlib.figure"


# -- arrays and images -------------------------------------------------------------


def _numpy(value: Any) -> Any:
    """``value`` as a numpy array (numpy arrays, torch tensors, nested lists), importing numpy."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    import numpy as np

    return np.asarray(value)


def _to_uint8(arr: Any) -> Any:
    import numpy as np

    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if arr.dtype.kind == "f":
        arr = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        return (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if arr.dtype.kind in "iu":
        return np.clip(arr, 0, 255).astype(np.uint8)
    raise ValueError(f"an image of dtype {arr.dtype} (use uint8, or floats in [0, 1])")


def _image_array(value: Any) -> Any:
    """An H×W or H×W×C (C = 2, 3, 4) uint8 array from what users pass."""
    arr = _numpy(value)
    if arr.ndim == 3 and arr.shape[0] in (1, 3, 4) and arr.shape[2] not in (1, 3, 4):
        arr = arr.transpose(1, 2, 0)  # C×H×W, as torch keeps them
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ValueError(f"an image of shape {tuple(arr.shape)} (use H×W, H×W×1, H×W×3 or H×W×4)")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError("an empty image")
    return _to_uint8(arr)


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


# -- histograms --------------------------------------------------------------------


class Histogram(Media):
    """A histogram, stored inline in the history row (no file).

    From values (a list, a numpy array or a torch tensor) with ``num_bins``
    bins, or precomputed ``np_histogram=(counts, edges)``. Non-finite values
    are left out.

    >>> Histogram([1, 2, 2, 3], num_bins=2).counts
    [1, 3]
    """

    kind = "histogram"

    def __init__(
        self,
        values: Any = None,
        num_bins: int = 64,
        np_histogram: Optional[tuple[Any, Any]] = None,
    ) -> None:
        if np_histogram is not None:
            counts, edges = (_plain_list(x) for x in np_histogram)
            if len(edges) != len(counts) + 1 or not counts:
                raise ValueError("np_histogram is (counts, edges) with len(edges) == len(counts) + 1")
            self.counts = [int(c) for c in counts]
            self.edges = [float(e) for e in edges]
            if any(b <= a for a, b in zip(self.edges, self.edges[1:])):
                raise ValueError("histogram edges must increase")
        else:
            if values is None:
                raise ValueError("give values or np_histogram")
            if not 1 <= int(num_bins) <= MAX_BINS:
                raise ValueError(f"num_bins is 1 to {MAX_BINS}")
            self.counts, self.edges = _bin(values, int(num_bins))
        if len(self.counts) > MAX_BINS:
            raise ValueError(f"at most {MAX_BINS} bins")

    def _write(self, out: _Writer) -> dict[str, Any]:
        return {"_type": "histogram", "edges": self.edges, "counts": self.counts}


def _plain_list(value: Any) -> list[Any]:
    tolist = getattr(value, "tolist", None)
    return list(tolist()) if callable(tolist) else list(value)


def _bin(values: Any, bins: int) -> tuple[list[int], list[float]]:
    np: Any = None
    if not isinstance(values, (list, tuple)) or len(values) > 10_000:
        try:
            import numpy as np
        except ImportError:
            np = None
    if np is not None:
        arr = _numpy(values).astype(np.float64).ravel()
        arr = arr[np.isfinite(arr)]
        lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        counts, edges = np.histogram(arr, bins=bins, range=(lo, hi))
        return [int(c) for c in counts], [float(e) for e in edges]
    flat = [float(v) for v in _plain_list(values)]
    flat = [v for v in flat if math.isfinite(v)]
    lo, hi = (min(flat), max(flat)) if flat else (0.0, 0.0)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in flat:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    return counts, [lo + width * i for i in range(bins)] + [hi]


# -- video and audio ---------------------------------------------------------------


class Video(Media):
    """A video: frames as a numpy array T×C×H×W or T×H×W×C, or a file (mp4, webm, gif).

    Frames are encoded as MP4 (H.264) when PyAV is installed, else as a GIF
    with Pillow; ``format="gif"`` forces a GIF.
    """

    kind = "video"

    def __init__(
        self, data: Any, fps: float = 4, caption: Optional[str] = None, format: Optional[str] = None
    ) -> None:
        if not fps or fps <= 0:
            raise ValueError("fps must be > 0")
        self.fps = float(fps)
        self.caption = None if caption is None else str(caption)
        self.frames: Optional[int] = None
        self.width: Optional[int] = None
        self.height: Optional[int] = None
        if _is_path(data):
            self.data, self.format = _read_file(data, VIDEO_FORMATS, "video")
            return
        arr = _numpy(data)
        if arr.ndim != 4:
            raise ValueError(f"frames of shape {tuple(arr.shape)}; use T×C×H×W or T×H×W×C")
        if arr.shape[1] in (1, 3, 4) and arr.shape[3] not in (1, 3, 4):
            arr = arr.transpose(0, 2, 3, 1)
        if arr.shape[3] not in (1, 3, 4) or 0 in arr.shape:
            raise ValueError(f"frames of shape {tuple(arr.shape)}; use T×C×H×W or T×H×W×C")
        arr = _to_uint8(arr)
        self.frames, self.height, self.width = (int(x) for x in arr.shape[:3])
        if format not in (None, "mp4", "gif"):
            raise ValueError("format is mp4 or gif")
        if format != "gif":
            try:
                import av  # noqa: F401
            except ImportError:
                if format == "mp4":
                    raise ValueError("mp4 needs PyAV (pip install av)") from None
                format = "gif"
        if format == "gif":
            self.data, self.format = _gif(arr, self.fps), "gif"
        else:
            self.data, self.format = _mp4(arr, self.fps), "mp4"

    def _write(self, out: _Writer) -> dict[str, Any]:
        ref: dict[str, Any] = {"_type": "video", **out.file("video", self.data, self.format)}
        ref.update(format=self.format, fps=self.fps)
        if self.frames is not None:
            ref.update(frames=self.frames, width=self.width, height=self.height)
        if self.caption is not None:
            ref["caption"] = self.caption
        return ref


def _rgb(arr: Any) -> Any:
    import numpy as np

    if arr.shape[-1] == 1:
        return np.repeat(arr, 3, axis=-1)
    return arr[..., :3]


def _gif(arr: Any, fps: float) -> bytes:
    from PIL import Image as PILImage

    frames = [PILImage.fromarray(f) for f in _rgb(arr)]
    buf = io.BytesIO()
    frames[0].save(
        buf, format="GIF", save_all=True, append_images=frames[1:],
        duration=max(20, int(round(1000 / fps))), loop=0,
    )
    return buf.getvalue()


def _mp4(arr: Any, fps: float) -> bytes:
    import fractions

    import av
    import numpy as np

    rgb = _rgb(arr)
    t, h, w = rgb.shape[:3]
    if h % 2 or w % 2:  # H.264 in 4:2:0 wants even sides
        rgb = np.pad(rgb, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as container:
        stream: Any = container.add_stream("h264", rate=fractions.Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = int(rgb.shape[2]), int(rgb.shape[1])
        stream.pix_fmt = "yuv420p"
        for frame in rgb:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


class Audio(Media):
    """Audio: numpy samples (N, or N×channels; floats in [-1, 1] or int16) with a sample rate, or a file (wav, mp3, ogg, flac)."""

    kind = "audio"

    def __init__(self, data: Any, sample_rate: Optional[int] = None, caption: Optional[str] = None) -> None:
        self.caption = None if caption is None else str(caption)
        self.sample_rate: Optional[int] = None
        self.channels: Optional[int] = None
        self.duration: Optional[float] = None
        if _is_path(data):
            self.data, self.format = _read_file(data, AUDIO_FORMATS, "audio")
            return
        if not sample_rate or int(sample_rate) <= 0:
            raise ValueError("samples need sample_rate=")
        import wave

        import numpy as np

        arr = _numpy(data)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] > 16:
            raise ValueError(f"samples of shape {tuple(arr.shape)}; use N or N×channels")
        if arr.dtype.kind == "f":
            arr = np.nan_to_num(arr.astype(np.float64))
            arr = (np.clip(arr, -1.0, 1.0) * 32767.0).round().astype("<i2")
        else:
            arr = np.clip(arr, -32768, 32767).astype("<i2")
        self.sample_rate, self.channels = int(sample_rate), int(arr.shape[1])
        self.duration = arr.shape[0] / self.sample_rate
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(self.channels)
            w.setsampwidth(2)
            w.setframerate(self.sample_rate)
            w.writeframes(np.ascontiguousarray(arr).tobytes())
        self.data, self.format = buf.getvalue(), "wav"

    def _write(self, out: _Writer) -> dict[str, Any]:
        ref: dict[str, Any] = {"_type": "audio", **out.file("audio", self.data, self.format)}
        ref["format"] = self.format
        for name in ("sample_rate", "channels", "duration", "caption"):
            value = getattr(self, name)
            if value is not None:
                ref[name] = value
        return ref


# -- tables, figures, HTML ---------------------------------------------------------


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
