"""``cairn sweep`` and ``cairn agent`` (W&B's ``wandb sweep`` and ``wandb agent``)."""

from __future__ import annotations

import argparse
import sys

CONTROLS = ("pause", "resume", "stop", "cancel")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    sweep = sub.add_parser("sweep", help="create a sweep from a sweep file (W&B's format), or control one")
    sweep.add_argument("config", help="the sweep file (YAML or JSON); with a control flag, the sweep (org/project/id)")
    sweep.add_argument("--project", help="the project (default: the file's `project`, CAIRN_PROJECT)")
    sweep.add_argument("--entity", "--org", dest="org", help="the organisation (default: CAIRN_ORG, your default)")
    group = sweep.add_mutually_exclusive_group()
    for name in CONTROLS:
        group.add_argument(f"--{name}", dest="control", action="store_const", const=name, help=f"{name} the sweep")

    agent = sub.add_parser("agent", help="run a sweep's runs until it ends")
    agent.add_argument("sweep_id", help="org/project/id, or the id with --project")
    agent.add_argument("--count", type=int, help="at most this many runs")
    agent.add_argument("--project", help="the project, when sweep_id is the id alone")
    agent.add_argument("--entity", "--org", dest="org", help="the organisation, when sweep_id has none")


def _control(args: argparse.Namespace) -> int:
    from . import _http
    from ._sweep import _org, _settings, parse_sweep_path

    settings = _settings(args.project, args.org)
    s = _http.session(settings.api_key)
    org, project, sweep_id = parse_sweep_path(args.config, settings.project, settings.org)
    org = org or _org(settings, s)
    url = f"{settings.base_url}/api/v1/projects/{org}/{(project or 'uncategorized').lower()}/sweeps/{sweep_id}/control/{args.control}"
    state = _http.request(s, "POST", url, timeout=30.0).json().get("state")
    print(f"cairn: sweep {org}/{project}/{sweep_id} is {state}")
    return 0


def dispatch(args: argparse.Namespace) -> int:
    from ._errors import AgentError

    try:
        if args.command == "sweep":
            if args.control:
                return _control(args)
            from ._sweep import create_sweep

            org, project, sweep_id = create_sweep(args.config, project=args.project, org=args.org)
            print(f"cairn: created sweep {sweep_id}", file=sys.stderr)
            print(f"cairn: run agents with: cairn agent {org}/{project}/{sweep_id}", file=sys.stderr)
            print(f"{org}/{project}/{sweep_id}")
            return 0
        from ._sweepagent import run_agent

        run_agent(args.sweep_id, count=args.count, project=args.project, org=args.org)
        return 0
    except AgentError as exc:
        print(f"cairn: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
