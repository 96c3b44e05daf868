"""`make run`: prepare, then serve the web app and the task runner until Ctrl-C.

    python -m webapp.serve [--host 127.0.0.1] [--port 8000]

This supervisor imports no Django, so it costs a few MB: the work happens in
`manage.py cairn_prepare` (migrate, first-start account), gunicorn, and one
Celery worker that also sends the periodic tasks, on the configured broker
(a filesystem broker by default, so nothing but Python is needed).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from types import FrameType
from typing import Optional

from webapp import paths
from webapp.paths import ROOT

QUEUES = "default,history,files,media,scoring"  # webapp/celery.py QUEUES


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False


_WILDCARD = ("", "0.0.0.0", "::", "[::]")


def allowed_hosts(host: str) -> str:
    """The names `make run` answers to: the one it serves on (every name of
    this machine for a wildcard address) and the loopback names."""
    names = ["localhost", "127.0.0.1", "[::1]"]
    if host in _WILDCARD:
        names += [socket.gethostname(), socket.getfqdn()]
    else:
        names.append(f"[{host}]" if ":" in host and not host.startswith("[") else host)
    return ",".join(dict.fromkeys(n for n in names if n))


WORKER_RESTARTS = 5  # in a minute, before the server gives up


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    ap.add_argument("--web-workers", type=int, default=int(os.environ.get("CAIRN_WEB_WORKERS", "1")))
    ap.add_argument("--no-worker", action="store_true", help="do not start a Celery worker")
    args = ap.parse_args(argv)

    python, data_dir = sys.executable, paths.data_dir()
    # The settings answer only to loopback names by default; here we know the
    # host served on. Production's gunicorn names its hosts itself.
    env = {**os.environ}
    env.setdefault("CAIRN_ALLOWED_HOSTS", allowed_hosts(args.host))
    # The web processes and the worker write their metrics to one folder (/metrics reads them all).
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(data_dir / "metrics"))
    os.makedirs(env["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    prepared = subprocess.run([python, "-m", "webapp", "prepare"], cwd=ROOT, env=env)
    if prepared.returncode != 0:
        return prepared.returncode

    children = [
        subprocess.Popen(
            [python, "-m", "gunicorn", "webapp.wsgi:application",
             "--bind", f"{args.host}:{args.port}", "--workers", str(args.web_workers),
             "--worker-class", "gthread", "--threads", "8", "--timeout", "120",
             "--graceful-timeout", "5", "--log-level", "warning",
             # gunicorn's most: long filters and run id lists fit in a URL.
             "--limit-request-line", "8190"],
            cwd=ROOT,
            env=env,
        )
    ]
    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [python, "-m", "celery", "--quiet", "-A", "webapp", "worker", "--pool", "solo",
             "--queues", QUEUES, "--loglevel", "WARNING"],
            cwd=ROOT,
            env={**env, "CAIRN_EMBEDDED_SCHEDULE": "true"},
        )

    if not args.no_worker:
        children.append(start_worker())

    def stop(signum: int = 0, frame: Optional[FrameType] = None) -> None:
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

    # A wildcard address is reached on the loopback (a name it answers to).
    url = f"http://{'127.0.0.1' if args.host in _WILDCARD else args.host}:{args.port}"
    deadline = time.monotonic() + 60
    while not _healthy(f"{url}/api/v1/health"):
        if time.monotonic() > deadline or any(c.poll() is not None for c in children):
            print("Cairn did not start; stopping.", file=sys.stderr)
            stop()
        time.sleep(0.05)
    key_file = data_dir / "api-key"
    print(
        f"\nCairn is running at {url}/\n"
        f"  login:    admin\n"
        f"  password: {(data_dir / 'admin-password').read_text().strip()}\n"
        f"  api key:  {key_file.read_text().strip()}  (also in {key_file})\n"
        f"\nIn a training script:  CAIRN_BASE_URL={url} CAIRN_API_KEY=$(cat {key_file}) python train.py\n"
        "Stop with Ctrl-C.\n",
        flush=True,
    )
    # A worker that dies is started again: its tasks are in the outbox and the broker, and
    # are done once it is back. One that keeps dying (5 times in a minute) stops the server.
    restarts: list[float] = []
    while True:
        if children[0].poll() is not None:
            print(f"The Cairn web server exited (code {children[0].returncode}); stopping.", file=sys.stderr)
            stop()
        if len(children) > 1 and children[1].poll() is not None:
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < 60] + [now]
            if len(restarts) > WORKER_RESTARTS:
                print(f"The Cairn worker keeps exiting (code {children[1].returncode}); stopping.", file=sys.stderr)
                stop()
            print(f"The Cairn worker exited (code {children[1].returncode}); starting it again.", file=sys.stderr, flush=True)
            children[1] = start_worker()
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
