"""Hugging Face Transformers' ``CairnCallback``: a tiny BERT trained for two epochs, read back from the server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest

from tests.integrations.conftest import Trained

pytestmark = pytest.mark.server

SCRIPT = """
import json
import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainerCallback, TrainingArguments
from agent.integration.transformers import CairnCallback

torch.manual_seed(0)

class Tokens(torch.utils.data.Dataset):
    def __init__(self, n):
        self.x, self.y = torch.randint(0, 50, (n, 8)), torch.randint(0, 2, (n,))
    def __len__(self):
        return len(self.y)
    def __getitem__(self, i):
        return {"input_ids": self.x[i], "attention_mask": torch.ones(8, dtype=torch.long), "labels": self.y[i]}

logged = []

class Seen(TrainerCallback):
    def on_log(self, args, state, control, logs=None, **kwargs):
        logged.append([state.global_step, dict(logs)])

config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=32, max_position_embeddings=16)
args = TrainingArguments("out", per_device_train_batch_size=8, num_train_epochs=2, logging_steps=1,
                         eval_strategy="epoch", save_strategy="epoch", learning_rate=1e-3, report_to="none",
                         use_cpu=True, run_name="tiny-bert", disable_tqdm=True)
cairn = CairnCallback(log_model="checkpoint")
trainer = Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=Tokens(32),
                  eval_dataset=Tokens(16), callbacks=[Seen(), cairn])
trainer.train()
json.dump({"run_id": cairn.run.id, "logged": logged, "params": trainer.model.num_parameters()},
          open("seen.json", "w"))
"""


def test_it_logs_arguments_model_config_metrics_evaluations_and_models(
    train: Callable[..., Trained], tmp_path: Path
) -> None:
    trained = train(SCRIPT)
    seen = trained.seen
    run = trained.run
    assert run.state == "finished"
    assert run.name == "tiny-bert"
    # The training arguments and the model's config, and the model's size.
    assert run.config["learning_rate"] == 1e-3 and run.config["num_train_epochs"] == 2
    assert run.config["hidden_size"] == 16 and run.config["model_type"] == "bert"
    assert run.config["model/num_parameters"] == seen["params"]

    # Each training log on the row of its global step, renamed as W&B's callback does.
    train_logs = {step: logs for step, logs in seen["logged"] if "loss" in logs}
    rows = trained.rows("train/loss")
    assert {row["_step"]: row["train/loss"] for row in rows} == {s: logs["loss"] for s, logs in train_logs.items()}
    assert sorted(train_logs) == list(range(1, 9))
    assert all(row["train/global_step"] == row["_step"] for row in rows)
    assert all(row["train/learning_rate"] == train_logs[row["_step"]]["learning_rate"] for row in rows)
    # The evaluation after each epoch, at the step it ran.
    evals = {step: logs["eval_loss"] for step, logs in seen["logged"] if "eval_loss" in logs}
    assert {row["_step"]: row["eval/loss"] for row in trained.rows("eval/loss")} == evals == {
        4: evals[4], 8: evals[8]}
    # The end-of-training figures are the summary's.
    final = next(logs for _, logs in seen["logged"] if "train_runtime" in logs)
    assert run.summary["train_loss"] == final["train_loss"]
    assert "train_runtime" in run.summary

    # log_model="checkpoint": each checkpoint, then the final model.
    name = f"model-{seen['run_id']}"
    checkpoint = trained.artifact(f"{name}:checkpoint_global_step_4")
    assert "epoch_1.0" in checkpoint.aliases
    final_model = trained.artifact(f"{name}:final_model")
    assert final_model.metadata["final_model"] is True
    folder = Path(final_model.download(root=str(tmp_path / "final")))
    assert json.loads((folder / "config.json").read_text())["hidden_size"] == 16
    assert (folder / "model.safetensors").stat().st_size > 0
