"""``mlflow server`` for the importers' tests and bench: SQLite, or a PostgreSQL database of its own when DATABASE_URL is PostgreSQL (CI)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Optional

from tests.serverproc import free_port, server_python


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
        self.backend = backend  # MlflowClient reads it directly too
        self.log = open(data / "mlflow-server.log", "wb")
        bin_dir = Path(python).parent
        self.proc = subprocess.Popen(
            [str(bin_dir / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
             "--backend-store-uri", backend, "--artifacts-destination", str(data / "artifacts")],
            cwd=str(data), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def _psql(self, sql: str) -> None:
        # The server's venv has psycopg; the caller may run in another (the bench's).
        code = "import psycopg,sys; psycopg.connect(sys.argv[1], autocommit=True).execute(sys.argv[2])"
        subprocess.run([server_python(), "-c", code, self.pg_admin, sql], check=True)

    def wait(self, timeout: float = 180.0) -> None:
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
