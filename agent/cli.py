"""The ``cairn`` command: ``login``, ``sync``, ``status``, ``check``, ``sweep``, ``agent``, ``import``, ``offline``, ``online``."""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys

from ._settings import DEFAULT_BASE_URL, load_stored, write_stored

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


def _base_url(flag: Optional[str], spec_url: Optional[str] = None) -> str:
    url = flag or os.environ.get("CAIRN_BASE_URL") or load_stored().get("base_url") or spec_url
    return (url or DEFAULT_BASE_URL).rstrip("/")


def _api_key(flag: Optional[str]) -> Optional[str]:
    key = flag or os.environ.get("CAIRN_API_KEY") or load_stored().get("api_key")
    return str(key) if key else None


def _root(flag: Optional[str]) -> str:
    return os.path.abspath(flag or os.environ.get("CAIRN_DIR") or os.getcwd())


def cmd_login(args: argparse.Namespace) -> int:
    from . import _http
    from ._errors import AgentError

    base_url = _base_url(args.host)
    key = args.key
    if args.username:
        import requests

        password = args.password or getpass.getpass(f"Password for {args.username} at {base_url}: ")
        s = _http.session(None)
        try:
            response = _http.request(
                s,
                "POST",
                f"{base_url}/api/v1/keys",
                auth=requests.auth.HTTPBasicAuth(args.username, password),
                ok=(200, 201),
                **_http.json_body({"name": f"cairn-cli@{socket.gethostname()}"}, compress=False),
            )
        except AgentError as exc:
            print(f"cairn: login failed: {exc}", file=sys.stderr)
            return 1
        key = response.json().get("key")
    if not key:
        key = getpass.getpass(f"API key for {base_url}: ").strip()
    if not key:
        print("cairn: no key given", file=sys.stderr)
        return 1
    try:
        viewer = _http.request(
            _http.session(key), "GET", f"{base_url}/api/v1/viewer", timeout=10
        ).json()
    except AgentError as exc:
        print(f"cairn: the server refused the key: {exc}", file=sys.stderr)
        return 1
    values = {"base_url": base_url, "api_key": key}
    if args.org:
        values["org"] = args.org
    path = write_stored(values)
    print(f"cairn: logged in to {base_url} as {viewer.get('username')} (saved in {path})")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from ._service import find_runs, sync_run
    from ._state import read_json

    if args.tensorboard:  # W&B's `wandb sync --sync-tensorboard`: the same as `cairn import tensorboard`
        from ._importers import dispatch as import_dispatch

        return import_dispatch(
            argparse.Namespace(
                source="tensorboard", path=args.tensorboard, project=args.project, org=args.org,
                host=args.host, key=args.key, dir=args.dir, keep=False, timeout=args.timeout,
            )
        )
    dirs = list(args.paths)
    if args.all or not dirs:
        dirs = find_runs(_root(args.dir))
    else:
        expanded = []
        for path in dirs:
            expanded.extend(find_runs(os.path.abspath(path)) or [path])
        dirs = expanded
    if not dirs:
        print("cairn: no runs to sync", file=sys.stderr)
        return 1
    key = _api_key(args.key)
    failures = 0
    for run_dir in dirs:
        spec = read_json(os.path.join(run_dir, "spec.json"))
        if spec is None:
            print(f"cairn: {run_dir}: not a run folder", file=sys.stderr)
            failures += 1
            continue
        org = args.org or spec.get("org") or os.environ.get("CAIRN_ORG") or load_stored().get("org")
        ok, message = sync_run(
            run_dir,
            base_url=_base_url(args.host, spec.get("base_url")),
            api_key=key,
            org=org,
            timeout=args.timeout,
        )
        print(f"cairn: {spec.get('project')}/{spec.get('id')}: {message}")
        failures += 0 if ok else 1
    return 1 if failures else 0


def cmd_status(args: argparse.Namespace) -> int:
    from ._service import find_runs
    from ._state import read_json, refusals_note

    runs = find_runs(_root(args.dir))
    stored = load_stored()
    print(
        f"server: {_base_url(None)}  mode: {os.environ.get('CAIRN_MODE') or stored.get('mode') or 'auto'}"
        f"  logged in: {'yes' if _api_key(None) else 'no'}"
    )
    if not runs:
        print("no spooled runs here")
        return 0
    for run_dir in runs:
        spec = read_json(os.path.join(run_dir, "spec.json")) or {}
        state = read_json(os.path.join(run_dir, "state.json")) or {}
        scan = state.get("scan") or {}
        upload = state.get("upload") or {}
        counts = scan.get("counts") or {}
        acked = upload.get("acked") or {}
        spooled = (
            int(counts.get("history", 0))
            + int(counts.get("console", 0))
            + int(state.get("system_count") or 0)
        )
        sent = sum(int(v) for v in acked.values())
        ended = (scan.get("ended") or {}).get("state") or "running"
        files = state.get("files") or {}
        files_left = sum(1 for e in files.values() if e.get("uploaded") != e.get("sha256"))
        where = (
            "synced"
            if upload.get("finished")
            else f"{max(0, spooled - sent)} records, {files_left} files not uploaded"
        )
        print(
            f"{spec.get('project')}/{spec.get('id')}  {spec.get('mode')}  {ended}  {where}  {run_dir}"
        )
        note = refusals_note(upload.get("refused"), run_dir)
        if note:
            print(note)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Has this experiment already run? 0: yes (its URL and summary printed), 1: no, 2: cannot tell."""
    from . import _fingerprint
    from ._errors import AgentError
    from ._initargs import load_config
    from ._settings import resolve

    try:
        config = load_config(args.config) if args.config else {}
        settings = resolve({"project": args.project, "org": args.org, "mode": "online"}, None)
    except AgentError as exc:
        print(f"cairn: {exc}", file=sys.stderr)
        return 2
    project = (settings.project or "uncategorized").lower()
    exclude = [k.strip() for k in (args.exclude or "").split(",") if k.strip()]
    try:
        _fingerprint.at_init(settings, project, config, exclude, True, script=args.script or "")
    except _fingerprint.AlreadyDone:
        return 0
    print(f"cairn: no finished run of {project} has this fingerprint", file=sys.stderr)
    return 1


def cmd_mode(mode: str) -> int:
    path = write_stored({"mode": mode})
    print(f"cairn: runs are {mode} by default now (saved in {path}); CAIRN_MODE overrides it")
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="cairn", description="Cairn experiment tracking")
    sub = parser.add_subparsers(dest="command", required=True)

    login = sub.add_parser("login", help="store the server URL and an API key")
    login.add_argument("--host", help=f"server URL (default {DEFAULT_BASE_URL})")
    login.add_argument("--key", help="an API key (cairn_...)")
    login.add_argument("--username", help="get a new key with this user's password")
    login.add_argument("--password", help=argparse.SUPPRESS)
    login.add_argument("--org", help="the organisation runs go to by default")

    sync = sub.add_parser("sync", help="upload offline or unfinished runs")
    sync.add_argument("paths", nargs="*", help="run folders (or folders holding a cairn/ folder)")
    sync.add_argument("--all", action="store_true", help="every run under --dir")
    sync.add_argument("--dir", help="where the cairn/ folder is (default: CAIRN_DIR or here)")
    sync.add_argument("--host", help="server URL")
    sync.add_argument("--key", help="API key")
    sync.add_argument("--org", help="organisation, when the run has none")
    sync.add_argument("--tensorboard", metavar="DIR", help="upload TensorBoard event files instead: one run per folder of them")
    sync.add_argument("--project", help="with --tensorboard: the project (default: CAIRN_PROJECT)")
    sync.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="give up a run after this many seconds without progress",
    )

    status = sub.add_parser("status", help="spooled runs and what is not uploaded yet")
    status.add_argument("--dir", help="where the cairn/ folder is")

    check = sub.add_parser(
        "check", help="has this experiment already run? (exit 0: yes, 1: no, 2: cannot tell)"
    )
    check.add_argument("script", nargs="?", help="the training script (without git: its files are the code)")
    check.add_argument("--project", help="the project (default: CAIRN_PROJECT)")
    check.add_argument("--org", help="the organisation")
    check.add_argument("--config", help="the run's config: a YAML or JSON file, as init(config=...)")
    check.add_argument("--exclude", help="config keys left out, comma-separated (fingerprint_exclude)")

    from ._sweepcli import add_parsers, dispatch

    add_parsers(sub)
    from ._importers import add_parsers as add_import_parsers

    add_import_parsers(sub)
    sub.add_parser("offline", help="make runs offline by default")
    sub.add_parser("online", help="make runs online by default")

    args = parser.parse_args(argv)
    if args.command == "login":
        return cmd_login(args)
    if args.command == "sync":
        return cmd_sync(args)
    if args.command == "status":
        return cmd_status(args)
    if args.command == "check":
        return cmd_check(args)
    if args.command in ("offline", "online"):
        return cmd_mode(args.command)
    if args.command in ("sweep", "agent"):
        return dispatch(args)
    if args.command == "import":
        from ._importers import dispatch as import_dispatch

        return import_dispatch(args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
