"""Fixtures of the importers' tests: real sources made by their own packages, imported into a real server.

Everything that needs MLflow, W&B or TensorBoard runs in a subprocess under
``.venv-importers/bin/python`` (``make .venv-importers/.ok``), so the
agent's own venvs stay bare; this process only reads the server over HTTP.

- ``importers_python``: that interpreter (a failure under CI=true when missing).
- ``run_py(code, cwd, env=None)``: runs ``code`` (dedented) there, logged in to the server.
- ``cairn(*args, cwd)``: runs the ``cairn`` command there.
- ``reader``: a ``ServerReader`` of the session's server.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, Optional

import pytest

from tests.ci import venv_python
from tests.compat.conftest import ServerReader
from tests.importers.mlflowserver import MlflowServer
from tests.serverproc import ROOT, ServerProcess


@pytest.fixture(scope="session")
def importers_python() -> str:
    return venv_python(".venv-importers", "CAIRN_IMPORTERS_PYTHON")


def environment(server: ServerProcess, base: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WANDB_", "CAIRN_", "MLFLOW_")) and k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        PYTHONPATH=str(ROOT),
        CAIRN_BASE_URL=server.url,
        CAIRN_API_KEY=server.api_key,
        XDG_CONFIG_HOME=str(base / "config"),
        PYTHONUNBUFFERED="1",
        WANDB_SILENT="true",
    )
    return env


@pytest.fixture
def run_py(importers_python: str, cairn_server: ServerProcess) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(
        code: str, cwd: Path, env: Optional[dict[str, str]] = None, args: tuple[str, ...] = (), timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        cwd.mkdir(parents=True, exist_ok=True)
        full = environment(cairn_server, cwd)
        full.update(env or {})
        proc = subprocess.run(
            [importers_python, "-c", textwrap.dedent(code), *args],
            cwd=str(cwd), env=full, text=True, capture_output=True, timeout=timeout,
        )
        assert proc.returncode == 0, f"exit {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
        return proc

    return run


@pytest.fixture
def cairn(run_py: Callable[..., subprocess.CompletedProcess[str]]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The ``cairn`` command, as a user runs it."""

    def run(*args: str, cwd: Path, env: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
        return run_py("import sys; from agent.cli import main; sys.exit(main())", cwd, env, args=args)

    return run


@pytest.fixture
def reader(cairn_server: ServerProcess) -> ServerReader:
    return ServerReader(cairn_server)


@pytest.fixture
def mlflow_server(importers_python: str, tmp_path: Path) -> Iterator[MlflowServer]:
    data = tmp_path / "mlflow"
    data.mkdir()
    server = MlflowServer(importers_python, data)
    try:
        server.wait()
        yield server
    finally:
        server.stop()
