"""`make run`: migrate, bootstrap, then serve the web app and the task runner.

The web server is gunicorn; tasks run in one Celery worker (with the periodic
scheduler embedded) on the configured broker: a filesystem broker by default,
so nothing but Python is needed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.orgs.bootstrap import local_account_ensure
from webapp.celery import QUEUES


def _wait_healthy(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


class Command(BaseCommand):
    help = "Serve Cairn (web + task runner) until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("CAIRN_WEB_WORKERS", "1")))
        parser.add_argument("--no-worker", action="store_true", help="Do not start a Celery worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = settings.DATA_DIR
        data_dir.mkdir(parents=True, exist_ok=True)
        for folder in settings.CELERY_BROKER_TRANSPORT_OPTIONS.values():
            if isinstance(folder, str):
                os.makedirs(folder, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        account = local_account_ensure(data_dir=data_dir)

        host, port = options["host"], options["port"]
        python = sys.executable
        children = [
            subprocess.Popen(
                [
                    python, "-m", "gunicorn", "webapp.wsgi:application",
                    "--bind", f"{host}:{port}",
                    "--workers", str(options["web_workers"]),
                    "--worker-class", "gthread", "--threads", "8",
                    "--timeout", "120", "--graceful-timeout", "5",
                    "--log-level", "warning",
                ]
            )
        ]
        if not options["no_worker"]:
            children.append(
                subprocess.Popen(
                    [
                        python, "-m", "celery", "-A", "webapp", "worker", "--beat",
                        "--pool", "solo", "--queues", ",".join(QUEUES),
                        "--loglevel", "WARNING",
                        "--schedule", str(data_dir / "celerybeat-schedule"),
                    ]
                )
            )

        def stop(*_: Any) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
            sys.exit(0)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

        url = f"http://{host}:{port}"
        if not _wait_healthy(f"{url}/api/v1/health", 60):
            self.stderr.write("The web server did not become healthy; stopping.")
            stop()
        self.stdout.write(
            f"\nCairn is running at {url}/\n"
            f"  login:    {account.username}\n"
            f"  password: {account.password}\n"
            f"  api key:  {account.api_key}  (also in {data_dir / 'api-key'})\n"
            f"\nIn a training script:  CAIRN_BASE_URL={url} CAIRN_API_KEY=$(cat {data_dir / 'api-key'}) python train.py\n"
            "Stop with Ctrl-C.\n"
        )
        self.stdout.flush()
        while True:
            for child in children:
                if child.poll() is not None:
                    self.stderr.write(f"A server process exited (code {child.returncode}); stopping.")
                    stop()
            time.sleep(0.5)
