"""Sweeps from the client: ``agent.sweep`` creates one, ``agent.agent`` runs it.

The server chooses every run's parameters (apps/sweeps); an agent asks it
for the next run, runs it (the program as a subprocess with W&B's
environment and arguments, or a function in this process), heartbeats, and
stops a run when the server says so. A run started by an agent learns its
id, sweep and parameters from the environment (``CAIRN_RUN_ID``,
``CAIRN_SWEEP_ID``, ``CAIRN_SWEEP_PARAM_PATH``), read by ``agent.init``.
"""

from __future__ import annotations

import json
import os
import re

from ._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

    from ._settings import Settings

SWEEP_PATH = re.compile(r"^(?:([A-Za-z0-9][A-Za-z0-9_.-]{0,63})/)?(?:([A-Za-z0-9][A-Za-z0-9_.-]{0,63})/)?([a-z0-9]{1,64})$")


def _settings(project: Optional[str], org: Optional[str]) -> Settings:
    from ._settings import resolve

    settings = resolve({"project": project, "org": org})
    if not settings.api_key:
        raise UsageError("sweeps need the server: run `cairn login` or set CAIRN_API_KEY")
    return settings


def _org(settings: Settings, session: Any) -> str:
    from . import _http

    if settings.org:
        return settings.org.lower()
    viewer = _http.request(session, "GET", f"{settings.base_url}/api/v1/viewer", timeout=10.0).json()
    org = viewer.get("default_org") if isinstance(viewer, dict) else None
    if not org:
        raise UsageError("no organisation: pass entity= (or org=) or set CAIRN_ORG")
    return str(org)


def read_config(path: str) -> dict[str, Any]:
    """A sweep file: JSON is parsed here; YAML is sent as text and parsed by the server."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read the sweep file {path}: {exc.strerror}") from None
    if path.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"{path} is not valid JSON: {exc}") from None
        return {"config": data}
    return {"config_yaml": text}


def sweep(
    sweep: Any,
    entity: Optional[str] = None,
    project: Optional[str] = None,
    prior_runs: Any = None,
    *,
    org: Optional[str] = None,
) -> str:
    """Create a sweep on the server and return its id (W&B's ``wandb.sweep``).

    ``sweep`` is the configuration: a dict in W&B's format, or the path of a
    sweep file (YAML or JSON; YAML is read by the server, so PyYAML is not
    needed here). Run it with ``agent.agent(sweep_id, function=train)`` or
    ``cairn agent org/project/<id>``.

    >>> import agent
    >>> agent.sweep({"method": "grid"}, project="demo")  # doctest: +SKIP
    'k3v9x0qa'
    """
    return create_sweep(sweep, project=project, org=org or entity, prior_runs=prior_runs)[2]


def create_sweep(
    sweep: Any, *, project: Optional[str], org: Optional[str], prior_runs: Any = None
) -> tuple[str, str, str]:
    """The sweep created: (org, project, id)."""
    from . import _http

    if prior_runs:
        raise UsageError("prior_runs is not supported: a sweep starts with no runs")
    if isinstance(sweep, (str, os.PathLike)):
        body = read_config(os.fspath(sweep))
    elif isinstance(sweep, dict):
        body = {"config": sweep}
    else:
        raise UsageError(f"sweep is a dict or the path of a sweep file, not {type(sweep).__name__}")
    settings = _settings(project or _config_text_key(body, "project"), org or _config_text_key(body, "entity"))
    s = _http.session(settings.api_key)
    org_slug = _org(settings, s)
    project_slug = (settings.project or "uncategorized").lower()
    url = f"{settings.base_url}/api/v1/projects/{org_slug}/{project_slug}/sweeps/"
    from ._errors import ApiError

    try:
        created = _http.request(s, "POST", url, timeout=30.0, ok=(201,), **_http.json_body(body)).json()
    except ApiError as exc:
        if exc.status == 400:
            raise UsageError(f"the server refused the sweep: {exc}") from None
        raise
    return org_slug, project_slug, str(created["id"])


def _config_text_key(body: dict[str, Any], key: str) -> Optional[str]:
    value = body.get("config", {}).get(key) if isinstance(body.get("config"), dict) else None
    return value if isinstance(value, str) else None


def parse_sweep_path(value: str, project: Optional[str], org: Optional[str]) -> tuple[Optional[str], Optional[str], str]:
    """``org/project/id``, ``project/id`` or ``id`` (with project and org from elsewhere)."""
    m = SWEEP_PATH.match(value.strip())
    if not m:
        raise UsageError(f"a sweep is org/project/id or its id, not {value!r}")
    first, second, sweep_id = m.groups()
    if first and second:
        return first.lower(), second.lower(), sweep_id
    if first:
        return org, first.lower(), sweep_id
    return org, project, sweep_id


# --- what a run started by an agent reads (agent.init) ------------------------


def from_environment(environ: Optional[Any] = None) -> Optional[dict[str, Any]]:
    """The sweep of a run an agent started: {"path", "run_id", "params"}; None outside an agent."""
    env = os.environ if environ is None else environ
    path = env.get("CAIRN_SWEEP_ID")
    if not path:
        return None
    params: dict[str, Any] = {}
    param_path = env.get("CAIRN_SWEEP_PARAM_PATH")
    if param_path:
        try:
            with open(param_path, encoding="utf-8") as fh:
                loaded = json.load(fh)
            params = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError) as exc:
            raise UsageError(f"CAIRN_SWEEP_PARAM_PATH: cannot read {param_path}: {exc}") from None
    parts = path.split("/")
    return {
        "path": path,
        "id": parts[-1],
        "org": parts[0] if len(parts) == 3 else None,
        "project": parts[1] if len(parts) == 3 else None,
        "run_id": env.get("CAIRN_RUN_ID") or None,
        "params": params,
    }

