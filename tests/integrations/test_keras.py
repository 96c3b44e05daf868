"""Keras 3's callbacks, on the JAX backend: a tiny model fitted for three epochs, read back from the server."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import pytest

from tests.integrations.conftest import Trained

pytestmark = pytest.mark.server

SCRIPT = """
import json
import numpy as np
import keras
import agent
from agent.integration.keras import CairnMetricsLogger, CairnModelCheckpoint

assert keras.backend.backend() == "jax"
run = agent.init(config={"lr": 0.01, "units": 8})
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 4)).astype("float32")
y = rng.normal(size=(64, 1)).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(run.config.units, activation="relu"),
                          keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(run.config.lr), loss="mse", metrics=["mae"])
batches = []

class Seen(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        batches.append(logs["loss"])

history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0, callbacks=[
    Seen(), CairnMetricsLogger(log_freq=2), CairnModelCheckpoint("ckpt/model.keras")])
json.dump({"run_id": run.id, "history": history.history, "batches": batches,
           "sha256": __import__("hashlib").sha256(open("ckpt/model.keras", "rb").read()).hexdigest()},
          open("seen.json", "w"))
"""


def test_it_logs_epochs_batches_and_each_checkpoint(
    train: Callable[..., Trained], tmp_path: Path
) -> None:
    trained = train(SCRIPT)
    seen = trained.seen
    run = trained.run
    assert run.state == "finished"
    assert run.config["lr"] == 0.01 and run.config["units"] == 8

    # One row per epoch, with Keras's numbers for it, and the learning rate.
    epochs = trained.rows("epoch/epoch")
    assert [row["epoch/epoch"] for row in epochs] == [0, 1, 2]
    for name in ("loss", "mae", "val_loss", "val_mae"):
        assert [row[f"epoch/{name}"] for row in epochs] == seen["history"][name], name
    assert [row["epoch/learning_rate"] for row in epochs] == [pytest.approx(0.01)] * 3

    # log_freq=2: every other batch of each epoch (3 batches an epoch), at its index over the training.
    batches = trained.rows("batch/batch_step")
    assert [row["batch/batch_step"] for row in batches] == [0, 2, 3, 5, 6, 8]
    assert [row["batch/loss"] for row in batches] == [
        seen["batches"][i] for i in (0, 2, 3, 5, 6, 8)
    ]

    # A checkpoint per epoch, each a version of the run's model artifact.
    name = f"run_{seen['run_id']}_model"
    versions = trained.api.artifacts("model", f"{trained.org}/{trained.project}/{name}")
    assert sorted(v.version for v in versions) == ["v0", "v1", "v2"]
    latest = trained.artifact(f"{name}:latest")
    assert set(latest.aliases) >= {"latest", "epoch_3"}
    folder = Path(latest.download(root=str(tmp_path / "model")))
    assert hashlib.sha256((folder / "model.keras").read_bytes()).hexdigest() == seen["sha256"]


ALONE = """
import json
import numpy as np
import keras
import agent
from agent.integration.keras import CairnMetricsLogger

run = agent.init()
rng = np.random.default_rng(0)
x = rng.normal(size=(640, 4)).astype("float32")
y = rng.normal(size=(640, 1)).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.99)
model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
# The logger alone, its batch hooks called by Keras on the training thread.
logger = CairnMetricsLogger(log_freq=1)
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[logger])
json.dump({"run_id": run.id, "history": history.history, "async_safe": logger.async_safe}, open("seen.json", "w"))
"""


def test_every_batch_is_logged_in_order_with_the_rate_it_trained_with(
    train: Callable[..., Trained],
) -> None:
    trained = train(ALONE)
    seen = trained.seen
    assert seen["async_safe"] is False  # measured faster on the training thread
    batches = trained.rows("batch/batch_step")
    # 40 batches an epoch, each a row, in order, over both epochs.
    assert [row["batch/batch_step"] for row in batches] == list(range(80))
    # Keras's loss is the epoch's running mean: its last batch's is the epoch's.
    assert [batches[39]["batch/loss"], batches[79]["batch/loss"]] == seen["history"]["loss"]
    # The rate each batch was trained with, from the schedule (0.1 * 0.99 ** step).
    assert [row["batch/learning_rate"] for row in batches] == [
        pytest.approx(0.1 * 0.99**step, rel=1e-5) for step in range(80)
    ]
    epochs = trained.rows("epoch/epoch")
    assert [row["epoch/epoch"] for row in epochs] == [0, 1]
    steps = [row["_step"] for row in trained.run.scan_history()]
    assert steps == sorted(steps)
