"""Fixtures of the framework integrations' tests: real training against a real server.

Each training script runs in its own process under ``.venv-frameworks/bin/python``
(the agent beside CPU torch, Lightning, Keras on JAX and Transformers:
``make .venv-frameworks/.ok``), logged in to the session's server. It writes
what the framework reported to ``seen.json``; the tests read the server back
through ``agent.Api`` and compare.

- ``frameworks_python``: the interpreter's path (a failure under CI=true when
  the venv is missing, a skip elsewhere).
- ``train(code, timeout=120)``: runs ``code`` (dedented) as ``train.py`` in a
  fresh folder and returns a ``Trained``: the finished process, its folder,
  ``seen`` (the script's ``seen.json``) and ``run``, the run on the server.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

import agent
from tests.ci import venv_python
from tests.serverproc import ROOT, ServerProcess


@pytest.fixture(scope="session")
def frameworks_python() -> str:
    """The frameworks venv's interpreter: Lightning, Keras, JAX and Transformers beside the agent."""
    return venv_python(".venv-frameworks", "CAIRN_FRAMEWORKS_PYTHON")


@dataclass
class Trained:
    """A finished training script, what it saw and the run the server holds."""

    proc: subprocess.CompletedProcess[str]
    cwd: Path
    api: agent.Api
    org: str
    project: str

    @property
    def seen(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.cwd / "seen.json").read_text())
        return data

    @property
    def run(self) -> Any:
        return self.api.run(f"{self.org}/{self.project}/{self.seen['run_id']}")

    def artifact(self, name: str) -> Any:
        """A version of an artifact of the run's project (``"name:alias"``)."""
        return self.api.artifact(f"{self.org}/{self.project}/{name}")

    def rows(self, *keys: str) -> list[dict[str, Any]]:
        """The run's history rows holding every one of ``keys``, unsampled."""
        return [row for row in self.run.scan_history() if all(k in row for k in keys)]


def environment(server: ServerProcess, cwd: Path, project: str) -> dict[str, str]:
    """A clean environment: no W&B or Cairn setting leaks in; no framework reaches for a network or a GPU."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WANDB_", "CAIRN_", "HF_", "KERAS_", "JAX_"))
        and k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        PYTHONPATH=str(ROOT),
        CAIRN_BASE_URL=server.url,
        CAIRN_API_KEY=server.api_key,
        CAIRN_PROJECT=project,
        XDG_CONFIG_HOME=str(cwd / "config"),
        PYTHONUNBUFFERED="1",
        KERAS_BACKEND="jax",
        JAX_PLATFORMS="cpu",
        CUDA_VISIBLE_DEVICES="",
        HF_HOME=str(cwd / "hf"),
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
    )
    return env


@pytest.fixture
def train(
    frameworks_python: str, cairn_server: ServerProcess, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Trained]]:
    """Run a training snippet under the frameworks interpreter, against the server."""
    counter = [0]
    api = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key)

    def run(code: str, timeout: float = 120) -> Trained:
        counter[0] += 1
        cwd = tmp_path / f"script-{counter[0]}"
        cwd.mkdir()
        (cwd / "train.py").write_text(textwrap.dedent(code))
        project = "fw-" + request.node.name.replace("[", "-").replace("]", "").replace("_", "-")[:60]
        started = time.monotonic()
        proc = subprocess.run(
            [frameworks_python, "train.py"],
            cwd=str(cwd),
            env=environment(cairn_server, cwd, project.lower()),
            text=True,
            capture_output=True,
            timeout=timeout,
        )
        print(f"training took {time.monotonic() - started:.1f} s")
        if proc.returncode != 0:
            raise AssertionError(f"training failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
        return Trained(proc=proc, cwd=cwd, api=api, org=cairn_server.org, project=project.lower())

    yield run
