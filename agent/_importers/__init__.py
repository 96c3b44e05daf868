"""``cairn import mlflow|wandb-export|tensorboard`` and ``cairn sync --tensorboard`` (docs/importing.md).

Each source is read with its own package (``mlflow``, ``wandb``,
``tensorboard``), imported only when its command runs.
"""

from __future__ import annotations

import argparse
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._target import Destination


def add_parsers(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="import runs from MLflow, W&B run folders or TensorBoard event files")
    sources = imp.add_subparsers(dest="source", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--project", help="the project runs go to (default: the source's)")
        p.add_argument("--org", "--entity", dest="org", help="the organisation (default: CAIRN_ORG, your default)")
        p.add_argument("--host", help="server URL")
        p.add_argument("--key", help="API key")
        p.add_argument("--dir", help="where runs are staged while uploading (default: CAIRN_DIR or here, under cairn/imports)")
        p.add_argument("--keep", action="store_true", help="keep the staged run folders after their upload")
        p.add_argument("--timeout", type=float, default=60.0, help="give up a run after this many seconds without progress")

    mlflow = sources.add_parser("mlflow", help="an MLflow tracking server's runs")
    mlflow.add_argument("--tracking-uri", required=True, help="the MLflow tracking URI (http://..., sqlite:///..., a folder)")
    mlflow.add_argument("--experiment", help="only this experiment (default: every one)")
    common(mlflow)
    wandb = sources.add_parser("wandb-export", help="W&B's local run folders (wandb/run-*, wandb/offline-run-*)")
    wandb.add_argument("path", help="a wandb/ folder, a run folder, or a folder holding them")
    common(wandb)
    tensorboard = sources.add_parser("tensorboard", help="TensorBoard event files: one run per folder of them")
    tensorboard.add_argument("path", help="the log folder")
    common(tensorboard)


def destination(args: argparse.Namespace) -> Destination:
    from .._settings import load_stored
    from ..cli import _api_key, _base_url, _root
    from ._target import Destination

    org = args.org or os.environ.get("CAIRN_ORG") or load_stored().get("org")
    root = os.path.join(_root(args.dir), "cairn", "imports")
    return Destination(base_url=_base_url(args.host), api_key=_api_key(args.key), org=org, root=root)


def dispatch(args: argparse.Namespace) -> int:
    from .._errors import AgentError
    from ._target import project_slug

    def say(message: str) -> None:
        print(f"cairn: {message}", flush=True)

    project = project_slug(args.project) if args.project else None
    options = {"say": say, "timeout": args.timeout, "keep": args.keep}
    try:
        dest = destination(args)
        if args.source == "mlflow":
            from ._mlflow import import_mlflow

            failed = import_mlflow(dest, args.tracking_uri, experiment=args.experiment, project=project, **options)
        elif args.source == "wandb-export":
            from ._wandb import import_wandb

            failed = import_wandb(dest, args.path, project=project, **options)
        else:
            from ._tensorboard import import_dirs

            failed = import_dirs(dest, args.path, project=project or _default_project(), **options)
    except AgentError as exc:
        print(f"cairn: {exc}", file=sys.stderr)
        return 1
    return 1 if failed else 0


def _default_project() -> str:
    from ._target import project_slug

    return project_slug(os.environ.get("CAIRN_PROJECT") or "", "uncategorized")
