"""What a media file really is, read from its bytes, and its thumbnail.

Each check takes the uploaded file (a local, seekable copy) and either
returns what it learned or raises `Refused` with a reason a user can act on.
The name and the agent's claims are never trusted: the type comes from the
bytes, and limits are checked before anything large is decoded.
Limits are settings (docs/deploy.md).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings

IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
MAX_TABLE_IMAGES = 10_000  # image cells of one table, each a row and a task
_MARKUP = (b"<svg", b"<?xml", b"<!doctype", b"<html", b"<script", b"<body", b"<head")


class Refused(Exception):
    """The file is not what it should be; the message says why."""


@dataclass
class Facts:
    content_type: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    thumbnail: bytes | None = None
    thumbnail_ext: str = "jpg"  # "webp" when it has transparency
    # A table's image cells: (row, col, path), each to be checked as an image of its own.
    cells: list[tuple[int, int, str]] = field(default_factory=list)


def check(kind: str, fh: IO[bytes], size: int) -> Facts:
    """Validate a file of the given media kind; `Refused` when it is not acceptable."""
    limit = settings.CAIRN_MEDIA_MAX_BYTES
    if size > limit:
        raise Refused(f"{size} bytes is over the media limit of {limit} bytes (CAIRN_MEDIA_MAX_BYTES).")
    if size == 0:
        raise Refused("The file is empty.")
    checker = _CHECKS.get(kind)
    if checker is None:
        raise Refused(f"Unknown media kind {kind!r}.")
    fh.seek(0)
    return checker(fh, size)


def _head(fh: IO[bytes], n: int = 512) -> bytes:
    fh.seek(0)
    head = fh.read(n)
    fh.seek(0)
    return head


def _is_markup(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return any(text.startswith(m) for m in _MARKUP) or b"<svg" in text[:256]


def _pixels_check(width: int, height: int) -> None:
    max_pixels, max_side = settings.CAIRN_MEDIA_MAX_PIXELS, settings.CAIRN_MEDIA_MAX_SIDE
    if width <= 0 or height <= 0:
        raise Refused(f"The image claims {width}×{height} pixels.")
    if width * height > max_pixels or max(width, height) > max_side:
        raise Refused(
            f"{width}×{height} pixels is over the limit ({max_pixels} pixels, "
            f"{max_side} a side: CAIRN_MEDIA_MAX_PIXELS, CAIRN_MEDIA_MAX_SIDE)."
        )


def _thumbnail(image: Any) -> tuple[bytes, str]:
    """At most CAIRN_MEDIA_THUMBNAIL_SIZE a side: JPEG (ten times faster to encode than
    WebP, as small at this size), or WebP when there is transparency to keep."""
    from PIL import Image

    side = settings.CAIRN_MEDIA_THUMBNAIL_SIZE
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    thumb = image.convert("RGBA" if has_alpha else "RGB")
    thumb.thumbnail((side, side), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    if has_alpha:
        thumb.save(buf, format="WEBP", quality=80, method=0)
        return buf.getvalue(), "webp"
    thumb.save(buf, format="JPEG", quality=85)
    return buf.getvalue(), "jpg"


def _open_image(fh: IO[bytes]) -> Any:
    """A Pillow image of a raster format, its size checked before any pixel is decoded."""
    from PIL import Image

    if _is_markup(_head(fh)):
        raise Refused("The file is SVG or HTML markup, not a raster image (PNG, JPEG, GIF, WebP or BMP).")
    # Opening reads the header only; the size it claims is checked before
    # any decoding, with a message naming it. Pillow's own guard then stays
    # at our limit for whatever decodes later.
    Image.MAX_IMAGE_PIXELS = None
    try:
        image = Image.open(fh, formats=IMAGE_FORMATS)
    except Exception as e:
        raise Refused(f"Not a readable image (PNG, JPEG, GIF, WebP or BMP): {e}") from None
    finally:
        Image.MAX_IMAGE_PIXELS = settings.CAIRN_MEDIA_MAX_PIXELS
    _pixels_check(*image.size)
    return image


def _check_image(fh: IO[bytes], size: int) -> Facts:
    from PIL import Image

    image = _open_image(fh)
    fmt = image.format or ""
    side = settings.CAIRN_MEDIA_THUMBNAIL_SIZE
    try:
        if fmt == "JPEG":
            image.draft("RGB", (side, side))  # decode at a fraction of the size: enough for a thumbnail
        image.load()
        thumbnail, ext = _thumbnail(image)
    except Exception as e:
        raise Refused(f"Corrupt {fmt} image: {e}") from None
    width, height = image.size if fmt != "JPEG" else _original_size(fh)
    return Facts(Image.MIME.get(fmt, "application/octet-stream"), width, height, None, thumbnail, ext)


def _original_size(fh: IO[bytes]) -> tuple[int, int]:
    from PIL import Image

    fh.seek(0)
    with Image.open(fh, formats=["JPEG"]) as again:  # draft() changed the first one's size
        return again.size


# -- video and audio -----------------------------------------------------------


def _video_format(head: bytes) -> str | None:
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def _check_video(fh: IO[bytes], size: int) -> Facts:
    fmt = _video_format(_head(fh))
    if fmt is None:
        raise Refused("Not a video: the bytes are none of MP4, WebM or GIF.")
    if fmt == "gif":
        return _check_gif(fh)
    import av

    max_duration = settings.CAIRN_MEDIA_MAX_DURATION
    try:
        with av.open(fh, mode="r") as container:
            if not container.streams.video:
                raise Refused(f"The {fmt.upper()} file holds no video stream.")
            stream = container.streams.video[0]
            width, height = int(stream.codec_context.width), int(stream.codec_context.height)
            _pixels_check(width, height)
            duration = _duration(container, stream)
            if duration is not None and duration > max_duration:
                raise Refused(f"{duration:.0f} s is over the limit of {max_duration:.0f} s (CAIRN_MEDIA_MAX_DURATION).")
            poster = None
            for frame in container.decode(stream):
                poster = _thumbnail(frame.to_image())[0]
                break
            if poster is None:
                raise Refused(f"The {fmt.upper()} file has no frame that decodes.")
    except Refused:
        raise
    except Exception as e:
        raise Refused(f"Not a playable {fmt.upper()} video: {e}") from None
    return Facts(f"video/{fmt}", width, height, duration, poster)


def _duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000  # av.time_base
    return None


def _check_gif(fh: IO[bytes]) -> Facts:
    image = _open_image(fh)
    frames = getattr(image, "n_frames", 1)
    if frames * image.size[0] * image.size[1] > settings.CAIRN_MEDIA_MAX_PIXELS * 10:
        raise Refused(f"{frames} frames of {image.size[0]}×{image.size[1]} is over the limit for a GIF.")
    try:
        image.seek(0)
        image.load()
        poster, ext = _thumbnail(image)
        duration = 0.0
        for i in range(frames):
            image.seek(i)
            duration += float(image.info.get("duration") or 0) / 1000
    except Exception as e:
        raise Refused(f"Corrupt GIF: {e}") from None
    return Facts("image/gif", image.size[0], image.size[1], duration or None, poster, ext)


_AUDIO = (
    (lambda h: h[:4] == b"RIFF" and h[8:12] == b"WAVE", "audio/wav"),
    (lambda h: h[:4] == b"fLaC", "audio/flac"),
    (lambda h: h[:4] == b"OggS", "audio/ogg"),
    (lambda h: h[:3] == b"ID3" or (len(h) > 1 and h[0] == 0xFF and h[1] & 0xE0 == 0xE0), "audio/mpeg"),
)


def _check_audio(fh: IO[bytes], size: int) -> Facts:
    head = _head(fh)
    content_type = next((ct for test, ct in _AUDIO if test(head)), None)
    if content_type is None:
        raise Refused("Not audio: the bytes are none of WAV, MP3, Ogg or FLAC.")
    import av

    max_duration = settings.CAIRN_MEDIA_MAX_DURATION
    try:
        with av.open(fh, mode="r") as container:
            if not container.streams.audio:
                raise Refused("The file holds no audio stream.")
            duration = _duration(container, container.streams.audio[0])
    except Refused:
        raise
    except Exception as e:
        raise Refused(f"Not playable audio: {e}") from None
    if duration is not None and duration > max_duration:
        raise Refused(f"{duration:.0f} s is over the limit of {max_duration:.0f} s (CAIRN_MEDIA_MAX_DURATION).")
    return Facts(content_type, None, None, duration, None)


# -- tables, figures, HTML -----------------------------------------------------------


def _json(fh: IO[bytes], size: int, what: str) -> Any:
    limit = settings.CAIRN_MEDIA_MAX_JSON_BYTES
    if size > limit:
        raise Refused(f"A {what} of {size} bytes is over the limit of {limit} (CAIRN_MEDIA_MAX_JSON_BYTES).")
    try:
        return json.loads(fh.read())
    except (ValueError, UnicodeDecodeError) as e:
        raise Refused(f"Not a JSON {what}: {e}") from None


def _check_table(fh: IO[bytes], size: int) -> Facts:
    table = _json(fh, size, "table")
    if not isinstance(table, dict) or not isinstance(table.get("columns"), list) or not isinstance(table.get("data"), list):
        raise Refused('A table is {"columns": [...], "data": [[...], ...]}.')
    columns = table["columns"]
    if not all(isinstance(c, str) for c in columns):
        raise Refused("Table column names are strings.")
    cells: list[tuple[int, int, str]] = []
    for i, row in enumerate(table["data"]):
        if not isinstance(row, list) or len(row) != len(columns):
            raise Refused(f"Table row {i} is not a list of {len(columns)} cells.")
        for j, cell in enumerate(row):
            if type(cell) is dict and cell.get("_type") == "image" and isinstance(cell.get("path"), str):
                cells.append((i, j, cell["path"][:1024]))
    if len(cells) > MAX_TABLE_IMAGES:
        raise Refused(f"A table of {len(cells)} image cells is over the limit of {MAX_TABLE_IMAGES}.")
    return Facts("application/json", cells=cells)


def _check_chart(fh: IO[bytes], size: int) -> Facts:
    # A chart's data is a table of values: an image cell there would be drawn as nothing.
    facts = _check_table(fh, size)
    if facts.cells:
        raise Refused("A chart's table holds values only, not images.")
    return facts


def _check_plotly(fh: IO[bytes], size: int) -> Facts:
    figure = _json(fh, size, "Plotly figure")
    if not isinstance(figure, dict) or not isinstance(figure.get("data", []), list):
        raise Refused('A Plotly figure is {"data": [traces], "layout": {...}}.')
    if not isinstance(figure.get("layout", {}), dict):
        raise Refused("A Plotly figure's layout is an object.")
    return Facts("application/json")


def _check_html(fh: IO[bytes], size: int) -> Facts:
    try:
        fh.read().decode("utf-8")
    except UnicodeDecodeError as e:
        raise Refused(f"HTML must be UTF-8 text: {e}") from None
    # Kept as is: it is only ever shown in a sandboxed frame (docs/media.md).
    return Facts("text/html; charset=utf-8")


def _check_object3d(fh: IO[bytes], size: int) -> Facts:
    head = _head(fh).lstrip()
    if not head.startswith(b"{"):
        # A 3-D model file (obj, glb, stl, ...): kept as is and only offered for download.
        if head[:64].lower().startswith(_MARKUP):
            raise Refused("A 3-D model file is not markup.")
        return Facts("application/octet-stream")
    cloud = _json(fh, size, "point cloud")
    if not isinstance(cloud, dict):
        raise Refused('A point cloud is {"points": [[x, y, z, ...], ...], "boxes": [...]}.')
    if "points" not in cloud:
        return Facts("application/json")  # a glTF or Babylon scene: for download
    points = cloud["points"]
    if not isinstance(points, list) or not all(
        isinstance(p, list) and len(p) in (3, 4, 6) and all(isinstance(v, (int, float)) for v in p) for p in points
    ):
        raise Refused("A point cloud's points are [x, y, z], [x, y, z, category] or [x, y, z, r, g, b].")
    if not isinstance(cloud.get("boxes", []), list):
        raise Refused("A point cloud's boxes are a list.")
    return Facts("application/json")


def _check_molecule(fh: IO[bytes], size: int) -> Facts:
    # Kept as is and only offered for download; what a browser could run is refused.
    if _head(fh).lstrip()[:64].lower().startswith(_MARKUP):
        raise Refused("A molecule file is not markup.")
    return Facts("application/octet-stream")


_CHECKS = {
    "image": _check_image,
    "video": _check_video,
    "audio": _check_audio,
    "table": _check_table,
    "plotly": _check_plotly,
    "html": _check_html,
    "chart": _check_chart,
    "object3d": _check_object3d,
    "molecule": _check_molecule,
}
