"""PyTorch Lightning's ``CairnLogger``: a tiny model trained for a few steps, read back from the server."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.integrations.conftest import Trained

pytestmark = pytest.mark.server

SCRIPT = """
import json, glob
import torch
from torch.utils.data import DataLoader, TensorDataset
import {package} as pl
from {package}.callbacks import ModelCheckpoint
from agent.integration.{module} import CairnLogger

seen = {{"train": {{}}}}

class Tiny(pl.LightningModule):
    def __init__(self, lr=0.05, hidden=8):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))

    def training_step(self, batch, i):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train/loss", loss)
        seen["train"][self.global_step] = loss.item()
        return loss

    def validation_step(self, batch, i):
        x, y = batch
        self.log("val/loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

torch.manual_seed(0)
data = TensorDataset(torch.randn(64, 4), torch.randn(64, 1))
logger = CairnLogger(log_model=True, name="tiny")
checkpoints = ModelCheckpoint(monitor="val/loss", save_top_k=1)
trainer = pl.Trainer(max_epochs=2, logger=logger, callbacks=[checkpoints], log_every_n_steps=1,
                     enable_progress_bar=False, accelerator="cpu")
trainer.fit(Tiny(), DataLoader(data, batch_size=16), DataLoader(data, batch_size=32))
seen["run_id"] = logger.experiment.id
seen["global_step"] = trainer.global_step
seen["best"] = checkpoints.best_model_path
seen["best_sha256"] = __import__("hashlib").sha256(open(checkpoints.best_model_path, "rb").read()).hexdigest()
json.dump(seen, open("seen.json", "w"))
"""


@pytest.mark.parametrize("package", ["lightning.pytorch", "pytorch_lightning"])
def test_it_logs_hyperparameters_metrics_at_the_trainer_step_the_summary_and_the_best_checkpoint(
    train: Callable[..., Trained], package: str, tmp_path: Path
) -> None:
    module = "lightning" if package == "lightning.pytorch" else "pytorch_lightning"
    trained = train(SCRIPT.format(package=package, module=module))
    seen: dict[str, Any] = trained.seen
    run = trained.run
    assert run.state == "finished"
    assert run.name == "tiny"
    assert run.config["lr"] == 0.05 and run.config["hidden"] == 8

    # Each training step's loss is on the row of that step, as the trainer counted it.
    rows = trained.rows("train/loss")
    assert {row["_step"]: row["train/loss"] for row in rows} == {int(k): v for k, v in seen["train"].items()}
    assert all(row["trainer/global_step"] == row["_step"] for row in rows)
    assert len(rows) == seen["global_step"] == 8
    # Validation at the end of each epoch: the step the epoch ended on.
    assert [(row["_step"], row["epoch"]) for row in trained.rows("val/loss")] == [(3, 0), (7, 1)]

    # The model summary: counts in the summary, the table as a file.
    assert run.summary["model/total_params"] == 4 * 8 + 8 + 8 + 1
    table = run.file("model_summary.txt").download(root=str(tmp_path), replace=True).read()
    assert "Sequential" in table and "Linear" in table

    # log_model=True: the best checkpoint, once training ended, as the model artifact.
    artifact = trained.artifact(f"model-{seen['run_id']}:best")
    assert set(artifact.aliases) >= {"latest", "best"}
    assert artifact.type == "model"
    assert artifact.metadata["original_filename"] == Path(seen["best"]).name
    assert artifact.metadata["ModelCheckpoint"]["monitor"] == "val/loss"
    folder = Path(artifact.download(root=str(tmp_path / "ckpt")))
    assert hashlib.sha256((folder / "model.ckpt").read_bytes()).hexdigest() == seen["best_sha256"]


OWN_ROWS = """
import json
import torch
from torch.utils.data import DataLoader, TensorDataset
import lightning.pytorch as pl
import agent
from agent.integration.lightning import CairnLogger

seen = {}

class Tiny(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(4, 1)

    def training_step(self, batch, i):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train/loss", loss)
        seen[self.global_step] = loss.item()
        agent.log({"mine/a": i})  # rows of the script's own, two a step: the trainer's step falls behind
        agent.log({"mine/b": i})
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)

run = agent.init(config={"batch_size": 16})
data = TensorDataset(torch.randn(64, 4), torch.randn(64, 1))
trainer = pl.Trainer(max_epochs=1, logger=CairnLogger(), log_every_n_steps=1, enable_progress_bar=False,
                     enable_checkpointing=False, accelerator="cpu")
trainer.fit(Tiny(), DataLoader(data, batch_size=16))
json.dump({"run_id": run.id, "train": seen}, open("seen.json", "w"))
"""


def test_the_trainer_s_metrics_are_kept_when_the_script_logs_rows_of_its_own(
    train: Callable[..., Trained],
) -> None:
    trained = train(OWN_ROWS)
    # The logger joined the run the script started, and lost no step of the trainer's.
    assert trained.run.config["batch_size"] == 16
    rows = trained.rows("train/loss")
    assert {row["trainer/global_step"]: row["train/loss"] for row in rows} == {
        int(k): v for k, v in trained.seen["train"].items()}
    assert len(trained.rows("mine/a")) == len(trained.rows("mine/b")) == 4
