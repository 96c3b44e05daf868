"""A W&B offline run folder, made by the real `wandb` package and never synced, imported whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from tests.compat.conftest import ServerReader
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server

TRAIN = """
import math
import numpy as np
import wandb

run = wandb.init(project="wb-demo", config={"lr": 0.01, "model": {"layers": 3}}, tags=["baseline"],
                 notes="from W&B", group="g1", job_type="train")
for step in range(100):
    run.log({"loss": 1.0 / (step + 1), "acc": step / 100, "val/loss": math.nan if step == 7 else step * 0.5})
run.log({"weights": wandb.Histogram(np_histogram=([1, 2, 3], [0.0, 1.0, 2.0, 3.0]))}, step=100)
print("epoch done")
run.config.update({"batch": 32})
run.summary["best_acc"] = 0.99
open("model.ckpt", "w").write("weights")
run.save("model.ckpt", policy="now")
print("RUN_ID", run.id)
run.finish()
"""


def test_it_imports_an_offline_run_with_its_history_intact(
    run_py: Callable[..., Any], cairn: Callable[..., Any], reader: ServerReader,
    cairn_server: ServerProcess, tmp_path: Path,
) -> None:
    made = run_py(TRAIN, tmp_path, env={"WANDB_MODE": "offline"})
    run_id = next(line.split()[1] for line in made.stdout.splitlines() if line.startswith("RUN_ID"))
    assert list((tmp_path / "wandb").glob(f"offline-run-*-{run_id}/run-{run_id}.wandb"))

    out = cairn("import", "wandb-export", "wandb", cwd=tmp_path)
    assert "imported, synced" in out.stdout, out.stdout
    org = cairn_server.org
    run = reader.run(org, "wb-demo", run_id)
    assert run["state"] == "finished"
    assert run["config"] == {"lr": 0.01, "model": {"layers": 3}, "batch": 32}
    assert (run["tags"], run["notes"], run["group"], run["job_type"]) == (["baseline"], "from W&B", "g1", "train")
    assert run["summary"]["best_acc"] == 0.99
    imported = run["system"]["imported"]
    assert imported["from"] == "wandb" and imported["id"] == run_id and imported["start_time"] > 0

    rows = reader.history(org, "wb-demo", run_id)
    assert [r["step"] for r in rows] == list(range(101))
    for step in range(100):
        assert rows[step]["loss"] == 1.0 / (step + 1) and rows[step]["acc"] == step / 100
    assert rows[7]["val/loss"] != rows[7]["val/loss"]  # NaN stays NaN
    assert rows[100]["weights"]["counts"] == [1, 2, 3]
    assert rows[100]["weights"]["edges"] == [0.0, 1.0, 2.0, 3.0]

    console = reader.get(f"projects/{org}/wb-demo/runs/{run_id}/console").json()["lines"]
    assert "epoch done" in [line["line"] for line in console]
    files = {f["path"] for f in reader.get(f"projects/{org}/wb-demo/runs/{run_id}/files/").json()["results"]}
    assert "model.ckpt" in files

    again = cairn("import", "wandb-export", str(tmp_path / "wandb"), cwd=tmp_path)
    assert "already imported" in again.stdout, again.stdout
    assert reader.run(org, "wb-demo", run_id)["streams"]["history"] == 101
