"""Video and audio."""

from __future__ import annotations

import io

from ._base import (
    AUDIO_FORMATS,
    VIDEO_FORMATS,
    Media,
    _is_path,
    _numpy,
    _read_file,
    _to_uint8,
    _Writer,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional


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
        if arr.dtype != "uint8":
            arr = _to_uint8(arr)  # floats by agent.Image's rule (W&B casts them, turning [0, 1] black)
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
        if format != "gif":
            try:
                self.data, self.format = _mp4(arr, self.fps), "mp4"
                return
            except Exception:
                if format == "mp4":
                    raise
                # A PyAV build without an H.264 encoder: a GIF will do.
        self.data, self.format = _gif(arr, self.fps), "gif"

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
