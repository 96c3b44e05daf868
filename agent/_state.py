"""Small files shared by the two processes: the run's spec and status, written atomically."""

from __future__ import annotations

import json
import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

SPEC = "spec.json"  # written once by init: who the run is, never the API key
STATE = "state.json"  # the background process's progress: offsets, config, files
STATUS = "status.json"  # what finish() and `cairn status` show
DEBUG_LOG = "debug.log"


def write_json(path: str, data: Any) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def read_json(path: str) -> Optional[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def refusals_note(refused: Optional[dict[str, Any]], run_dir: str) -> Optional[str]:
    """What the server refused of a run (``upload.refused`` in the state), for the user; None if nothing.

    >>> refusals_note({"records": 1, "values": 2}, "/r")
    'cairn: 2 values and 1 record of this run were not stored: the server refuses them (details in /r/debug.log)'
    """
    counts = refused or {}
    parts = []
    for what in ("value", "record"):
        n = int(counts.get(what + "s") or 0)
        if n:
            parts.append(f"{n} {what if n == 1 else what + 's'}")
    if not parts:
        return None
    were = "was" if parts == ["1 value"] or parts == ["1 record"] else "were"
    return (
        f"cairn: {' and '.join(parts)} of this run {were} not stored: the server refuses"
        f" {'it' if were == 'was' else 'them'} (details in {os.path.join(run_dir, DEBUG_LOG)})"
    )


def debug(run_dir: str, message: str) -> None:
    """Append one line to the run's debug.log; never raises."""
    try:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(os.path.join(run_dir, DEBUG_LOG), "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} [{os.getpid()}] {message}\n")
    except Exception:
        pass
