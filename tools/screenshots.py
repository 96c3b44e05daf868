"""Every page of a seeded Cairn, at desktop and phone width, signed in and out.

    python tools/screenshots.py [--out var/screenshots] [--only NAME ...]

Starts a fresh server (tests/serverproc.py) in a temporary folder, seeds a
realistic project (tests/web/demo_seed.py: CNN-like runs with train/ and val/
metrics, images, a failed and a crashed run, a report, a sweep, a benchmark),
and writes `<out>/<signed-in|signed-out>/<desktop|mobile>/<page>.png` (full
pages, 1440×900 and 390×844) for a reviewer's eyes. `make screenshots` runs it.
It needs the checkout's venv and Chromium (CAIRN_CHROMIUM, else on PATH).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.serverproc import ServerProcess  # noqa: E402
from tests.web.conftest import CHROMIUM_ARGS, chromium_path  # noqa: E402
from tests.web.demo_seed import demo_pages, demo_seed  # noqa: E402

VIEWPORTS = {"desktop": (1440, 900), "mobile": (390, 844)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--out", default=str(ROOT / "var" / "screenshots"))
    ap.add_argument("--only", action="append", help="a page's name (repeatable); default: every page")
    args = ap.parse_args()
    path = chromium_path()
    if path is None:
        sys.exit("Chromium is not installed (set CAIRN_CHROMIUM, or install chromium)")
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    written = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cairn-screens-") as tmp:
        server = ServerProcess(Path(tmp) / "server")
        server.start()
        try:
            demo = demo_seed(server)
            password = (server.data_dir / "admin-password").read_text().strip()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
                for signed_in in (False, True):
                    pages = demo_pages(demo, signed_in=signed_in)
                    if args.only:
                        pages = {k: v for k, v in pages.items() if k in args.only}
                    for view, (width, height) in VIEWPORTS.items():
                        context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
                        page = context.new_page()
                        if signed_in:
                            page.goto("/login/")
                            page.fill("input[name=username]", "admin")
                            page.fill("input[name=password]", password)
                            page.click("button[type=submit]")
                            page.wait_for_load_state()
                        folder = out / ("signed-in" if signed_in else "signed-out") / view
                        folder.mkdir(parents=True, exist_ok=True)
                        for name, url in pages.items():
                            page.goto(url)
                            page.wait_for_load_state("networkidle")
                            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
                            written += 1
                        context.close()
                browser.close()
        finally:
            server.cleanup()
    print(f"{written} screenshots under {out} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
