"""Fixtures of the agent's tests: a clean environment, and a way to run a training script."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
AGENT_SETTINGS = (
    "CAIRN_BASE_URL",
    "CAIRN_API_KEY",
    "CAIRN_MODE",
    "CAIRN_DIR",
    "CAIRN_PROJECT",
    "CAIRN_ORG",
    "CAIRN_STRICT",
    "CAIRN_QUIET",
    "CAIRN_SYSTEM_INTERVAL",
    "CAIRN_FINISH_TIMEOUT",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No agent setting leaks in from the machine, and no test reads ~/.config."""
    for name in AGENT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("WANDB_")]:  # the agent reads W&B's too
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    yield
    import agent._fluent as fluent

    run = fluent.current()
    if run is not None:
        run.finish(quiet=True)


def run_script(
    code: str,
    cwd: Path,
    env: Optional[dict[str, str]] = None,
    timeout: float = 120,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a training script in its own interpreter, as a user would."""
    full_env = {k: v for k, v in os.environ.items() if k not in AGENT_SETTINGS and not k.startswith("WANDB_")}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    script = cwd / "train.py"
    script.write_text(textwrap.dedent(code))
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=str(cwd),
        env=full_env,
        text=True,
        capture_output=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"script failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def run_dirs(base: Path) -> list[Path]:
    return sorted(p for p in (base / "cairn").iterdir() if p.name.startswith("run-"))


def spool_records(run_dir: Path, kind: Optional[int] = None, prefix: str = "spool") -> list[Any]:
    """The records of a run's spool, decoded (what the background process reads)."""
    from agent import _spool

    reader = _spool.Reader(str(run_dir), prefix)
    return [marshal.loads(body) for _, body in reader.iter_all(kind=kind)]
