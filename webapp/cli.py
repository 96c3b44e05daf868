"""`cairn-server`: every command an operator runs, on a checkout or an installed wheel.

    cairn-server serve                  the embedded all-in-one (`make run`): web, worker, schedule
    cairn-server web [--bind H:P]       gunicorn with the documented settings
    cairn-server worker [--queues Q]    a Celery worker
    cairn-server beat                   the periodic scheduler (one per deployment)
    cairn-server migrate | createsuperuser | collectstatic | check | prepare
    cairn-server backup FOLDER | restore FOLDER
    cairn-server manage ARGS...         any Django management command

Also `python -m webapp ...`. Settings come from the environment (docs/deploy.md).
The long-running commands replace this process (exec), so a container's or
systemd's signals reach gunicorn and Celery directly.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, Optional

from webapp.serve import QUEUES

MANAGE_SHORTCUTS = {
    "migrate": ["migrate", "--noinput"],
    "createsuperuser": ["createsuperuser"],
    "collectstatic": ["collectstatic", "--noinput"],
    "check": ["check", "--deploy", "--fail-level", "ERROR"],
    "prepare": ["cairn_prepare"],  # migrate, then the first admin and organisation when there is none
    "backup": ["cairn_backup"],  # FOLDER: the database and every stored file
    "restore": ["cairn_restore"],  # FOLDER: into an empty database and storage
}


def _exec(argv: list[str]) -> NoReturn:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    sys.stdout.flush()
    os.execvp(argv[0], argv)


def _metrics_dir() -> None:
    """One folder per host where every web and worker process writes its metrics (apps/core/observability.py)."""
    from webapp.paths import data_dir

    folder = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(data_dir() / "metrics"))
    os.makedirs(folder, exist_ok=True)


def manage(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["cairn-server", *args])
    return 0


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="cairn-server", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="web, worker and schedule in one (the embedded default)", add_help=False)
    web = sub.add_parser("web", help="serve the web app and API with gunicorn")
    web.add_argument("--bind", default=os.environ.get("CAIRN_BIND", "0.0.0.0:8000"))
    web.add_argument("--workers", type=int, default=int(os.environ.get("CAIRN_WEB_WORKERS", "2")))
    web.add_argument("--threads", type=int, default=int(os.environ.get("CAIRN_WEB_THREADS", "8")))
    worker = sub.add_parser("worker", help="run a Celery worker")
    worker.add_argument("--queues", default=os.environ.get("CAIRN_WORKER_QUEUES", QUEUES))
    worker.add_argument("--concurrency", type=int, default=int(os.environ.get("CAIRN_WORKER_CONCURRENCY", "2")))
    sub.add_parser("beat", help="send the periodic tasks (run exactly one per deployment)")
    for name in MANAGE_SHORTCUTS:
        sub.add_parser(name, help=f"manage.py {' '.join(MANAGE_SHORTCUTS[name])}")
    sub.add_parser("manage", help="any Django management command", add_help=False)
    return ap


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["manage"]:
        return manage(argv[1:])
    if argv[:1] == ["serve"]:
        from webapp import serve

        return serve.main(argv[1:])
    args, extra = _parser().parse_known_args(argv)
    python = sys.executable
    if args.command in ("web", "worker"):
        _metrics_dir()
    if args.command in MANAGE_SHORTCUTS:
        return manage([*MANAGE_SHORTCUTS[args.command], *extra])
    if args.command == "web":
        _exec([python, "-m", "gunicorn", "webapp.wsgi:application", "--bind", args.bind,
               "--workers", str(args.workers), "--worker-class", "gthread", "--threads", str(args.threads),
               "--timeout", "120", "--graceful-timeout", "20", "--limit-request-line", "8190",
               "--access-logfile", "-", *extra])
    if args.command == "worker":
        _exec([python, "-m", "celery", "-A", "webapp", "worker", "--queues", args.queues,
               "--concurrency", str(args.concurrency), "--loglevel", "INFO", *extra])
    if args.command == "beat":
        from webapp.paths import data_dir

        schedule = data_dir() / "celerybeat-schedule"  # not the working directory
        schedule.parent.mkdir(parents=True, exist_ok=True)
        _exec([python, "-m", "celery", "-A", "webapp", "beat", "--schedule", str(schedule), "--loglevel", "INFO", *extra])
    return 2


if __name__ == "__main__":
    sys.exit(main())
