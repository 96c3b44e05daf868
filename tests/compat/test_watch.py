"""``wandb.watch(model)``: a real PyTorch training loop logs W&B's gradient and parameter histograms.

Runs under the compat interpreter (torch beside the agent: ``.venv-compat``,
or ``CAIRN_COMPAT_PYTHON``); skipped where it is missing, a failure under CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.ci import unavailable
from tests.serverproc import ROOT

pytestmark = pytest.mark.server

SCRIPT = """
    import sys
    import torch
    import agent as wandb

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    run = wandb.init(project="watch", id=sys.argv[1])
    wandb.watch(model, log=sys.argv[2], log_freq=5)
    for step in range(12):
        x = torch.randn(16, 4)
        loss = ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        wandb.log({"loss": loss.item()})
    wandb.unwatch(model)
    for step in range(5):  # unwatched: no more histograms
        model(torch.randn(16, 4)).sum().backward()
        wandb.log({"loss": 0.0})
    assert "torch" in sys.modules
    """


def _python() -> str:
    path = Path(os.environ.get("CAIRN_COMPAT_PYTHON") or ROOT / ".venv-compat" / "bin" / "python")
    if not path.exists():
        unavailable(f"{path} is missing: make .venv-compat/.ok", ci=f"{path} is missing: `make test` builds it")
    return str(path)


def _run(server: Any, tmp_path: Path, run_id: str, log: str) -> list[dict[str, Any]]:
    (tmp_path / "train.py").write_text(textwrap.dedent(SCRIPT))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "CAIRN_")) and k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(ROOT), CAIRN_BASE_URL=server.url, CAIRN_API_KEY=server.api_key,
               CAIRN_ORG=server.org, XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.run([_python(), "train.py", run_id, log], cwd=str(tmp_path), env=env,
                          text=True, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    response = requests.get(
        f"{server.url}/api/v1/projects/{server.org}/watch/runs/{run_id}/history/export",
        headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30,
    )
    response.raise_for_status()
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def _histogram_keys(row: dict[str, Any], prefix: str) -> set[str]:
    return {k for k, v in row.items() if k.startswith(prefix) and isinstance(v, dict) and v.get("_type") == "histogram"}


def test_watch_logs_gradient_histograms_every_log_freq_steps(cairn_server: Any, tmp_path: Path) -> None:
    rows = _run(cairn_server, tmp_path, "watch-grads", "gradients")
    assert len(rows) == 17
    names = {"0.weight", "0.bias", "2.weight", "2.bias"}
    steps = {row["step"]: row for row in rows}
    for step in (0, 5, 10):  # the 1st, 6th and 11th backward pass
        assert _histogram_keys(steps[step], "gradients/") == {f"gradients/{n}" for n in names}
        hist = steps[step]["gradients/0.weight"]
        assert sum(hist["counts"]) == 32 and len(hist["edges"]) == len(hist["counts"]) + 1
    assert all(not _histogram_keys(r, "") for s, r in steps.items() if s not in (0, 5, 10))
    assert all("loss" in r for r in rows)  # the histograms joined the rows the loop logged


def test_watch_all_logs_parameters_too(cairn_server: Any, tmp_path: Path) -> None:
    rows = _run(cairn_server, tmp_path, "watch-all", "all")
    first = next(r for r in rows if r["step"] == 0)
    assert _histogram_keys(first, "parameters/") == {f"parameters/{n}" for n in ("0.weight", "0.bias", "2.weight", "2.bias")}
    assert sum(first["parameters/0.weight"]["counts"]) == 32
    assert _histogram_keys(first, "gradients/")
