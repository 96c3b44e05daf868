"""An append request's records, from the spool, with what the server would refuse left out."""

from __future__ import annotations

import json
import marshal

from . import _http
from ._state import debug
from ._values import UNLIMITED, over_limits, shown_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

_unlimited = UNLIMITED.issuperset


def _to_json(stream: str, body: Any) -> dict[str, Any]:
    if stream == "history":
        step, when, data = body
        return {"step": step, "time": when, "data": data}
    if stream == "console":
        when, name, line = body
        return {"time": when, "stream": name, "line": line}
    when, data = body
    return {"time": when, "data": data}


def named_key(data: dict[str, Any], named: str) -> Optional[str]:
    """The key of ``data`` a refusal's field names (``.data.<key>`` and deeper), if any."""
    if not named.startswith(".data."):
        return None
    path = named[len(".data.") :]
    found = [k for k in data if path == k or path.startswith((k + ".", k + "["))]
    return max(found, key=len) if found else None


def _clean(value: Any) -> Any:
    """Keys as strings; values JSON cannot hold dropped."""
    out = {}
    for key, item in value.items():
        try:
            json.dumps(item)
        except (TypeError, ValueError):
            continue
        out[str(key)] = item
    return out


class Screen:
    """Leaves out of history rows what the server's limits refuse, counting it.

    ``log()`` checks rows on its slow path; a row of numbers takes its hot
    path unchecked, and a key of it past the server's limits would make the
    server refuse the whole row. Here, in the background, that key alone is
    left out. Keys found within the limits are remembered, so a row of them
    costs two C-level checks.
    """

    def __init__(self, run_dir: str) -> None:
        self.run_dir = run_dir
        self.known: set[Any] = set()
        self._known_all = self.known.issuperset

    def __call__(self, record: dict[str, Any], refused: dict[str, int]) -> None:
        data = record["data"]
        if self._known_all(data) and _unlimited(map(type, data.values())):
            return
        for key, why in over_limits(data, self.known):
            del data[key]
            refused["values"] = refused.get("values", 0) + 1
            debug(
                self.run_dir,
                f"history: left out key {shown_key(str(key))} at step {record.get('step')}: {why}",
            )


def encode(
    stream: str,
    bodies: list[bytes],
    screen: Optional[Screen] = None,
    refused: Optional[dict[str, int]] = None,
) -> bytes:
    """The ``records`` array of an append request, as JSON bytes.

    History rows go through ``screen``, which counts what it leaves out in ``refused``.
    """
    records = [_to_json(stream, marshal.loads(b)) for b in bodies]
    if screen is not None and stream == "history":
        for record in records:
            screen(record, refused if refused is not None else {})
    try:
        return _http.json_bytes(records)
    except (TypeError, ValueError):
        for record in records:
            if isinstance(record.get("data"), dict):
                record["data"] = _clean(record["data"])
        return _http.json_bytes(records, default=str)
