"""The package build: pyproject.toml says what; this adds one step.

A wheel or sdist carries the web app's front-end libraries
(webapp/static/vendor), built from package-lock.json by
tools/vendor_assets.py, so an installed server serves its charts. They are
never committed. An editable install (development) leaves them to the Makefile.
"""

import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
BUILT = ROOT / "webapp" / "static" / "vendor" / ".ok"


def vendor_assets() -> None:
    if not BUILT.exists():
        subprocess.run([sys.executable, str(ROOT / "tools" / "vendor_assets.py")], cwd=ROOT, check=True)


class BuildPyWithAssets(build_py):
    def run(self) -> None:
        if not getattr(self, "editable_mode", False):
            vendor_assets()
        super().run()


class SdistWithAssets(sdist):
    def run(self) -> None:
        vendor_assets()
        super().run()


setup(cmdclass={"build_py": BuildPyWithAssets, "sdist": SdistWithAssets})
