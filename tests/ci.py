"""Something a test needs is missing: skipped here, a failure under CI.

CI (CI=true, see .ci/run) installs every service and library the tests use,
so a missing one there is a broken setup, never a reason to test less.

Imports only pytest and the standard library: the agent's tests use it from
a bare venv without Django, on the oldest Python the agent supports.
"""

from __future__ import annotations

import os
from typing import NoReturn, Optional

import pytest


def unavailable(reason: str, *, ci: Optional[str] = None) -> NoReturn:
    """Skip the test for `reason`; under CI=true fail it instead, with `ci` if given."""
    __tracebackhide__ = True  # reports point at the caller's line
    if os.environ.get("CI") == "true":
        pytest.fail(ci or reason)
    pytest.skip(reason)


def venv_python(venv: str, override: str) -> str:
    """The interpreter of the project's venv `venv` (built by `make test`, target `<venv>/.ok`),
    or the one the environment variable `override` names; missing: unavailable."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    path = Path(os.environ.get(override) or root / venv / "bin" / "python")
    if not path.exists():
        unavailable(
            f"{path} is missing: make {venv}/.ok",
            ci=f"{path} is missing: `make test` builds it (target {venv}/.ok)",
        )
    return str(path)
