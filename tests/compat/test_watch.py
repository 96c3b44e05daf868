"""``wandb.watch(model)``: a real PyTorch training loop logs W&B's gradient and parameter histograms.

Runs under the compat interpreter with the suite's ``run_compat_script``
fixture (tests/compat/conftest.py): skipped where it is missing, a failure under CI.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.compat.conftest import CompatRun
from tests.serverproc import ServerProcess

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


def _run(run_compat_script: Callable[..., CompatRun], server: ServerProcess, run_id: str, log: str) -> list[dict[str, Any]]:
    result = run_compat_script(SCRIPT, args=(run_id, log), timeout=300)
    return result.reader.history(server.org, "watch", run_id)


def _histogram_keys(row: dict[str, Any], prefix: str) -> set[str]:
    return {k for k, v in row.items() if k.startswith(prefix) and isinstance(v, dict) and v.get("_type") == "histogram"}


def test_watch_logs_gradient_histograms_every_log_freq_steps(
    run_compat_script: Callable[..., CompatRun], cairn_server: ServerProcess
) -> None:
    rows = _run(run_compat_script, cairn_server, "watch-grads", "gradients")
    assert len(rows) == 17
    names = {"0.weight", "0.bias", "2.weight", "2.bias"}
    steps = {row["step"]: row for row in rows}
    for step in (0, 5, 10):  # the 1st, 6th and 11th backward pass
        assert _histogram_keys(steps[step], "gradients/") == {f"gradients/{n}" for n in names}
        hist = steps[step]["gradients/0.weight"]
        assert sum(hist["counts"]) == 32 and len(hist["edges"]) == len(hist["counts"]) + 1
    assert all(not _histogram_keys(r, "") for s, r in steps.items() if s not in (0, 5, 10))
    assert all("loss" in r for r in rows)  # the histograms joined the rows the loop logged


def test_watch_all_logs_parameters_too(run_compat_script: Callable[..., CompatRun], cairn_server: ServerProcess) -> None:
    rows = _run(run_compat_script, cairn_server, "watch-all", "all")
    first = next(r for r in rows if r["step"] == 0)
    assert _histogram_keys(first, "parameters/") == {f"parameters/{n}" for n in ("0.weight", "0.bias", "2.weight", "2.bias")}
    assert sum(first["parameters/0.weight"]["counts"]) == 32
    assert _histogram_keys(first, "gradients/")
