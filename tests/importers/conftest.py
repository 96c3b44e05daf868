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
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from tests.ci import unavailable
from tests.compat.conftest import ServerReader
from tests.serverproc import ROOT, ServerProcess, free_port


def importers_interpreter() -> Path:
    return Path(os.environ.get("CAIRN_IMPORTERS_PYTHON") or ROOT / ".venv-importers" / "bin" / "python")


@pytest.fixture(scope="session")
def importers_python() -> str:
    path = importers_interpreter()
    if not path.exists():
        unavailable(
            f"{path} is missing: make .venv-importers/.ok",
            ci=f"{path} is missing: `make test` builds it (target .venv-importers/.ok)",
        )
    return str(path)


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


class MlflowServer:
    """``mlflow server`` on SQLite, or on a PostgreSQL database of its own when DATABASE_URL is PostgreSQL (CI)."""

    def __init__(self, python: str, data: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data = data
        self.pg_db: Optional[str] = None
        base = os.environ.get("DATABASE_URL", "")
        if base.startswith(("postgres://", "postgresql://")):
            self.pg_db = f"mlflow_{os.getpid()}_{self.port}"
            self.pg_admin = base.rsplit("/", 1)[0] + "/postgres"
            self._psql(f'CREATE DATABASE "{self.pg_db}"')
            backend = base.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/" + self.pg_db
        else:
            backend = f"sqlite:///{data / 'mlflow.db'}"
        self.log = open(data / "mlflow-server.log", "wb")
        bin_dir = Path(python).parent
        self.proc = subprocess.Popen(
            [str(bin_dir / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
             "--backend-store-uri", backend, "--artifacts-destination", str(data / "artifacts")],
            cwd=str(data), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def _psql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.pg_admin, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def wait(self, timeout: float = 180.0) -> None:
        import time

        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise AssertionError("mlflow server did not start:\n" + (self.data / "mlflow-server.log").read_text()[-3000:])

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        if self.pg_db:
            self._psql(f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)')


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


def rows_of(reader: ServerReader, org: str, project: str, run_id: str) -> list[dict[str, Any]]:
    return reader.history(org, project, run_id)


__all__ = ["MlflowServer", "ServerReader", "rows_of", "sys"]
