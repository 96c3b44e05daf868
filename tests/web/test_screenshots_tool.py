"""`make screenshots` (tools/screenshots.py) runs end to end, on one page."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serverproc import ROOT
from tests.web.conftest import chromium_path

pytestmark = [pytest.mark.server, pytest.mark.browser]


def png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def test_it_writes_the_page_at_both_widths_signed_in_and_out(tmp_path: Path) -> None:
    if chromium_path() is None:
        from tests.ci import unavailable

        unavailable("Chromium is not installed")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "screenshots.py"), "--out", str(tmp_path), "--only", "benchmarks"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shots = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.png"))
    assert shots == [f"{who}/{view}/benchmarks.png" for who in ("signed-in", "signed-out") for view in ("desktop", "mobile")]
    # Full pages as wide as the viewport: nothing scrolls sideways at phone width.
    assert png_size(tmp_path / "signed-out/mobile/benchmarks.png")[0] == 390
    assert png_size(tmp_path / "signed-in/desktop/benchmarks.png")[0] == 1440
