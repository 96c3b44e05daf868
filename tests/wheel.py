"""Cairn as an operator installs it: a wheel built from a clean copy of the source,
installed in a fresh virtual environment outside the checkout.

Imports only the standard library and tests.ci (no Django, no pytest fixtures).
"""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
from pathlib import Path

from tests.ci import unavailable

ROOT = Path(__file__).resolve().parent.parent


def source_copy(dest: Path) -> Path:
    """The files git tracks, as a fresh clone has them: no node_modules, no built assets."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode != 0:
        unavailable("not a git checkout: cannot tell which files a clean source has")
    for name in listed.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def wheel_build(source: Path, out: Path) -> Path:
    """`python -m pip wheel --no-deps -w OUT SOURCE` (docs/deploy.md's build): the wheel file."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (whl,) = out.glob("cairn-*.whl")
    return whl


def venv_libraries_pth(venv: Path) -> Path:
    """Let the venv at `venv` (made or about to be made by this interpreter's base Python)
    import the test environment's libraries, so that installing Cairn there with
    `--no-deps` downloads nothing; its own code stays only the wheel's."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    purelib = venv / "lib" / version / "site-packages"
    purelib.mkdir(parents=True, exist_ok=True)
    pth = purelib / "server-deps.pth"
    pth.write_text("\n".join(site.getsitepackages()) + "\n")
    return pth
