"""Fixtures of the W&B compatibility suite: W&B users' call patterns against a real server.

Each script runs in its own process under ``.venv-compat/bin/python`` (the
agent plus torch, numpy, pandas, matplotlib, plotly, Pillow and scikit-learn:
``make .venv-compat/.ok``), with the observer of ``observer/sitecustomize.py``
on its path: it records what the script handed ``Run.log`` and each run's
config and summary when it finished. The tests then read the server over HTTP
and compare. See tests/compat/README.md.

For other tests in this folder:

- ``compat_python``: the interpreter's path (a failure under CI=true when the
  venv is missing, a skip elsewhere).
- ``run_compat_script(code, env=None, args=(), timeout=120, check=True)``:
  runs ``code`` (dedented) as ``train.py`` in a fresh folder, logged in to the
  session's server, and returns a ``CompatRun`` (the finished process, its
  folder, the observer's records, and ``reader``, a ``ServerReader``).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import requests

from tests.ci import venv_python
from tests.serverproc import ROOT, ServerProcess

COMPAT = Path(__file__).resolve().parent
OBSERVER = COMPAT / "observer"


@pytest.fixture(scope="session")
def compat_python() -> str:
    """The compat venv's interpreter: torch and friends beside the agent."""
    return venv_python(".venv-compat", "CAIRN_COMPAT_PYTHON")


class ServerReader:
    """What the server holds about a run, read over the HTTP API as any client would."""

    def __init__(self, server: ServerProcess) -> None:
        self.base = f"{server.url}/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {server.api_key}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(f"{self.base}/{path}", params=params, timeout=30)

    def run(self, org: str, project: str, run_id: str) -> dict[str, Any]:
        response = self.get(f"projects/{org}/{project}/runs/{run_id}")
        assert response.status_code == 200, (
            f"run {org}/{project}/{run_id} not on the server: {response.status_code} {response.text[:300]}"
        )
        data: dict[str, Any] = response.json()
        return data

    def history(self, org: str, project: str, run_id: str) -> list[dict[str, Any]]:
        response = self.get(f"projects/{org}/{project}/runs/{run_id}/history/export")
        assert response.status_code == 200, f"history of {run_id}: {response.status_code} {response.text[:300]}"
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]

    def create_org(self, slug: str) -> None:
        response = self.session.post(f"{self.base}/orgs", json={"slug": slug}, timeout=30)
        assert response.status_code in (201, 409), response.text[:300]


@dataclass
class CompatRun:
    """A finished compat script: its process, folder, and what the observer saw."""

    proc: subprocess.CompletedProcess[str]
    cwd: Path
    record: Path
    reader: ServerReader
    env: dict[str, str] = field(default_factory=dict)

    @property
    def records(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line.strip()]

    @property
    def failure(self) -> str:
        """The last lines of stderr: the first failing W&B call, usually."""
        lines = [line for line in self.proc.stderr.splitlines() if line.strip()]
        return "\n".join(lines[-25:])


def script_environment(server: ServerProcess, base: Path, project: str) -> dict[str, str]:
    """A clean environment for a user's script: no W&B or Cairn settings leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WANDB_", "CAIRN_")) and k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(OBSERVER), str(ROOT)]),
        CAIRN_BASE_URL=server.url,
        CAIRN_API_KEY=server.api_key,
        CAIRN_PROJECT=project,
        XDG_CONFIG_HOME=str(base / "config"),
        MPLBACKEND="Agg",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_in_compat(
    python: str,
    server: ServerProcess,
    script: Path,
    cwd: Path,
    project: str,
    env: Optional[dict[str, str]] = None,
    args: Sequence[str] = (),
    timeout: float = 120,
) -> CompatRun:
    record = cwd / "compat-record.jsonl"
    full_env = script_environment(server, cwd, project)
    full_env["CAIRN_COMPAT_RECORD"] = str(record)
    full_env.update(env or {})
    proc = subprocess.run(
        [python, str(script), *args],
        cwd=str(cwd),
        env=full_env,
        text=True,
        capture_output=True,
        timeout=timeout,
    )
    return CompatRun(proc=proc, cwd=cwd, record=record, reader=ServerReader(server), env=full_env)


@pytest.fixture
def run_compat_script(
    compat_python: str, cairn_server: ServerProcess, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., CompatRun]]:
    """Run a snippet as a W&B user's script, under the compat interpreter, against the server."""
    counter = [0]

    def run(
        code: str,
        env: Optional[dict[str, str]] = None,
        args: Sequence[str] = (),
        timeout: float = 120,
        check: bool = True,
    ) -> CompatRun:
        counter[0] += 1
        cwd = tmp_path / f"script-{counter[0]}"
        cwd.mkdir()
        script = cwd / "train.py"
        script.write_text(textwrap.dedent(code))
        project = "compat-" + request.node.name.replace("[", "-").replace("]", "")[:80]
        result = run_in_compat(compat_python, cairn_server, script, cwd, project, env, args, timeout)
        if check and result.proc.returncode != 0:
            raise AssertionError(
                f"script failed ({result.proc.returncode}):\n{result.proc.stdout[-3000:]}\n{result.failure}"
            )
        return result

    yield run


# -- comparing what was logged with what the server holds ---------------------


def same(a: Any, b: Any) -> bool:
    """Equal as logged: NaN equals NaN, ints equal floats of the same value, exactly."""
    a, b = _number(a), _number(b)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (type(a) is type(b) and a == b)
    return bool(a == b)


def _number(value: Any) -> Any:
    # The observer writes NaN and infinities as {"float": "nan"}; the server as its JSON allows.
    if isinstance(value, dict) and set(value) == {"float"}:
        return float(value["float"])
    if isinstance(value, str) and value in ("NaN", "nan", "Infinity", "-Infinity", "inf", "-inf"):
        return float(value.replace("Infinity", "inf"))
    return value


def lookup(row: dict[str, Any], key: str) -> tuple[bool, Any]:
    """A flattened key ``a/b`` in a server row, which may keep it as ``a/b``, ``a.b`` or nested."""
    for candidate in (key, key.replace("/", ".")):
        if candidate in row:
            return True, row[candidate]
    node: Any = row
    for part in key.split("/"):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def row_step(row: dict[str, Any]) -> Any:
    for name in ("_step", "step"):
        if name in row:
            return row[name]
    return None
