"""Where Cairn keeps its data when CAIRN_DATA_DIR does not say (standard library only:
the `make run` supervisor imports it without Django)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """CAIRN_DATA_DIR; else `var/` of a checkout, or the user's data folder for an installed server
    (never inside site-packages)."""
    configured = os.environ.get("CAIRN_DATA_DIR")
    if configured:
        return Path(configured).resolve()
    if (ROOT / "manage.py").exists():
        return ROOT / "var"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "cairn"
