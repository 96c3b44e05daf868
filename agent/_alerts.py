"""``run.alert()``: alerts recorded in the spool, merged on the client, uploaded by id.

Each alert gets an id of its own in the training process. A repeat of the
same title within ``wait_duration`` is not a new alert: the first one's
count goes up, and the background process sends that alert again under the
same id, so the server (which keeps one row per id) counts it. Sending by id
also makes a retried upload harmless.
"""

from __future__ import annotations

import enum
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Optional

    from ._model import Model
    from ._uploader import Uploader

# The server's limits (apps/runs/alerts.py).
MAX_TITLE = 256
MAX_TEXT = 64 * 1024


class AlertLevel(str, enum.Enum):
    """W&B's alert levels; the value is what the server stores."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


def _level(level: Any) -> str:
    if level is None:
        return AlertLevel.INFO.value
    if isinstance(level, AlertLevel):
        return level.value
    text = str(level).upper()
    if text not in AlertLevel.__members__:
        raise ValueError(f"level must be one of INFO, WARN, ERROR, not {level!r}")
    return text


def _seconds(wait: Any) -> float:
    if wait is None:
        return 0.0
    if hasattr(wait, "total_seconds"):
        return float(wait.total_seconds())
    if isinstance(wait, bool) or not isinstance(wait, (int, float)):
        raise ValueError(f"wait_duration is seconds or a timedelta, not {wait!r}")
    return float(wait)


class Alerts:
    """What the training process sent, per title: the id, when, and how many repeats."""

    def __init__(self) -> None:
        self._last: dict[str, list[Any]] = {}  # title: [id, sent_at, count, text, level]
        self._n = 0

    def add(
        self,
        title: str,
        text: str,
        level: Any,
        wait_duration: Any,
        warn: Callable[..., None],
    ) -> Optional[tuple[str, float, str, str, str, int]]:
        """The ALERT record to write: ``(id, time, title, text, level, count)``."""
        level = _level(level)
        wait = _seconds(wait_duration)
        title, text = str(title), str(text)
        if len(title) > MAX_TITLE:
            warn("alert", f"alert title cut to {MAX_TITLE} characters")
            title = title[:MAX_TITLE]
        if len(text.encode("utf-8")) > MAX_TEXT:
            warn("alert", f"alert text cut to {MAX_TEXT // 1024} KiB")
            text = text.encode("utf-8")[:MAX_TEXT].decode("utf-8", "ignore")
        now = time.time()
        last = self._last.get(title)
        if last is not None and wait > 0 and now - last[1] < wait:
            last[2] += 1
            return (last[0], last[1], title, last[3], last[4], last[2])
        self._n += 1
        alert_id = f"{int(now * 1000):x}-{self._n}"
        self._last[title] = [alert_id, now, 1, text, level]
        return (alert_id, now, title, text, level, 1)


# -- the background process ------------------------------------------------------


def replay(model: Model, body: Any) -> None:
    """An ALERT record into the model: the latest count of each alert id."""
    alert_id, when, title, text, level, count = body[:6]
    model.alerts[str(alert_id)] = {
        "time": when,
        "title": title,
        "text": text,
        "level": level,
        "count": count,
        "sent": model.alerts.get(str(alert_id), {}).get("sent", 0),
    }
    model.dirty = True


def upload(uploader: Uploader) -> bool:
    """Send one alert whose count the server does not have yet; True if one was sent."""
    from ._errors import ApiError
    from ._http import json_body
    from ._state import debug

    model = uploader.model
    with model.lock:
        todo = [(k, dict(v)) for k, v in model.alerts.items() if v.get("sent", 0) < v["count"]]
    if not todo:
        return False
    alert_id, alert = todo[0]
    body = {k: alert[k] for k in ("title", "text", "level", "count")}
    body.update(id=alert_id, created_at=alert["time"])
    try:
        uploader._request("POST", "/alerts", ok=(200, 201), **json_body(body))
    except ApiError as exc:
        if exc.status != 400:
            raise
        # Refused for good (an older server's limits): say so and move on.
        debug(model.run_dir, f"alert {alert_id} refused by the server: {exc}")
    with model.lock:
        model.alerts[alert_id]["sent"] = alert["count"]
        model.dirty = True
    return True
