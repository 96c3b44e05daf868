"""A real Cairn server in its own processes, for end-to-end tests.

It runs `python -m webapp.serve` (gunicorn + a Celery worker) exactly as `make run`
does, on its own database: a fresh PostgreSQL database when DATABASE_URL
points at PostgreSQL, else SQLite in its data folder. Importing this module
needs no Django, so the agent's tests can use it from a bare venv.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_python() -> str:
    return os.environ.get("CAIRN_SERVER_PYTHON") or str(ROOT / ".venv" / "bin" / "python")


class ServerProcess:
    def __init__(
        self, data_dir: Path, port: Optional[int] = None, extra_env: Optional[dict[str, str]] = None,
        command: Optional[list[str]] = None,
    ) -> None:
        """`command`: what serves instead of the checkout's `python -m webapp.serve`
        (an installed `cairn-server serve`); it runs outside the checkout, with `--port` added."""
        self.data_dir = data_dir
        self.command = command
        self.extra_env = extra_env or {}
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.org = "local"
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.env = self._environment()
        self.api_key = ""

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("CAIRN_TASKS_EAGER", None)  # this server uses a real worker
        env["CAIRN_DATA_DIR"] = str(self.data_dir)
        env["CAIRN_SECRET_KEY"] = "e2e-test-secret"
        env["CAIRN_HEARTBEAT_TIMEOUT"] = env.get("CAIRN_E2E_HEARTBEAT_TIMEOUT", "300")
        env["PYTHONPATH"] = str(ROOT)
        # Its own queues on a shared Redis: another test server's worker must
        # never run this one's tasks against the wrong database.
        env["CAIRN_BROKER_KEY_PREFIX"] = f"cairn-e2e-{uuid.uuid4().hex[:10]}:"
        env.update(self.extra_env)
        base = os.environ.get("DATABASE_URL", "")
        if base.startswith("postgres"):
            name = f"cairn_e2e_{uuid.uuid4().hex[:10]}"
            self._pg_create(base, name)
            env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
        else:
            env["DATABASE_URL"] = f"sqlite:///{self.data_dir / 'cairn.sqlite3'}"
        return env

    def _pg_admin(self, sql: str) -> None:
        # Through the maintenance database: the one in DATABASE_URL may not exist.
        admin_url = self._pg_base.rsplit("/", 1)[0] + "/postgres"
        code = "import psycopg,sys; psycopg.connect(sys.argv[1], autocommit=True).execute(sys.argv[2])"
        subprocess.run([server_python(), "-c", code, admin_url, sql], check=True)

    def _pg_create(self, base_url: str, name: str) -> None:
        self._pg_base = base_url
        self._pg_admin(f"CREATE DATABASE {name}")
        self.pg_database = name

    def cleanup(self) -> None:
        """Stop the server and drop its database."""
        self.stop()
        name = getattr(self, "pg_database", None)
        if name:
            self._pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "server.log", "ab")
        command = self.command or [server_python(), "-m", "webapp.serve"]
        self.proc = subprocess.Popen(
            [*command, "--port", str(self.port)],
            cwd=str(self.data_dir if self.command else ROOT),
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group: kill() takes gunicorn and the worker too
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early; see {self.data_dir / 'server.log'}")
            if self.healthy() and (self.data_dir / "api-key").exists():
                self.api_key = (self.data_dir / "api-key").read_text().strip()
                return
            time.sleep(0.1)
        raise RuntimeError(f"server not healthy after {timeout}s; see {self.data_dir / 'server.log'}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the whole server: web processes and worker, no goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`python manage.py ARGS` on this server's database and settings."""
        return subprocess.run(
            [server_python(), str(ROOT / "manage.py"), *args],
            cwd=str(ROOT), env=self.env, capture_output=True, text=True, check=check,
        )

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join((self.data_dir / "server.log").read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def main() -> None:  # handy by hand: python tests/serverproc.py
    s = ServerProcess(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/cairn-e2e"))
    s.start()
    print(s.url, s.api_key)
    try:
        s.proc.wait() if s.proc else None
    except KeyboardInterrupt:
        s.stop()


if __name__ == "__main__":
    main()
