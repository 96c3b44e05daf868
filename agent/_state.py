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


def debug(run_dir: str, message: str) -> None:
    """Append one line to the run's debug.log; never raises."""
    try:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(os.path.join(run_dir, DEBUG_LOG), "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} [{os.getpid()}] {message}\n")
    except Exception:
        pass
