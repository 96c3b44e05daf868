"""Keras 3 callbacks: ``CairnMetricsLogger`` and ``CairnModelCheckpoint`` (docs/integrations.md).

W&B's ``wandb.integration.keras`` names and meanings, on any Keras 3
backend (JAX, PyTorch, TensorFlow)::

    import agent
    from agent.integration.keras import CairnMetricsLogger, CairnModelCheckpoint

    agent.init(project="mnist", config={"lr": 1e-3})
    model.fit(x, y, epochs=5, validation_split=0.1, callbacks=[
        CairnMetricsLogger(log_freq=10),
        CairnModelCheckpoint("model.keras", save_best_only=True),
    ])

Importing this module imports Keras; ``import agent`` does not.
"""

from __future__ import annotations

import os
import shutil

import keras

from .._errors import UsageError
from ._common import staging

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union


def _current_run(what: str) -> Any:
    from .. import _fluent

    run = _fluent.current()
    if run is None:
        raise UsageError(f"call agent.init() before {what}()")
    return run


def _learning_rate(model: Any) -> Optional[float]:
    """The optimizer's learning rate now (a schedule's current value), if it has one."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        return None
    try:
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except Exception:
        return None


def _scheduled(model: Any) -> bool:
    """Whether the learning rate follows a schedule, so that it changes from batch to batch."""
    optimizer = getattr(model, "optimizer", None)
    return isinstance(
        getattr(optimizer, "_learning_rate", None), keras.optimizers.schedules.LearningRateSchedule
    )


class CairnMetricsLogger(keras.callbacks.Callback):
    """Log the metrics Keras reports (``model.compile``'s, validation's) and the learning rate.

    ``log_freq``: ``"epoch"`` (the default) logs at the end of each epoch,
    as ``epoch/<name>`` with ``epoch/epoch``; ``"batch"`` or an integer N
    also logs every N training batches, as ``batch/<name>`` with
    ``batch/batch_step`` (the batch's index counted over the whole
    training, from ``initial_global_step``). Each is the x axis of its
    metrics (``define_metric``), as in W&B. Needs a run: call
    ``agent.init()`` first.

    Its batch hooks run on the training thread, as any Keras batch hook's do
    (``async_safe`` is off): measured on CPU/JAX, that trained faster than
    Keras's threaded dispatch of the same hook (docs/benchmarks.md).
    """

    # Off: Keras then calls each batch's begin and end hooks in order, on the training thread.
    async_safe = False

    def __init__(
        self,
        log_freq: Union[str, int] = "epoch",
        initial_global_step: int = 0,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.run = _current_run("CairnMetricsLogger")
        if log_freq == "batch":
            log_freq = 1
        if log_freq != "epoch" and (
            isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1
        ):
            raise ValueError(
                f"log_freq must be 'epoch', 'batch' or a positive integer, not {log_freq!r}"
            )
        self.logging_batch_wise = log_freq != "epoch"
        self.log_freq: Optional[int] = log_freq if self.logging_batch_wise else None  # type: ignore[assignment]
        self.global_batch = int(initial_global_step)
        self.run.define_metric("epoch/epoch")
        self.run.define_metric("epoch/*", step_metric="epoch/epoch")
        if self.logging_batch_wise:
            self.run.define_metric("batch/batch_step")
            self.run.define_metric("batch/*", step_metric="batch/batch_step")
            # Only then: Keras calls a batch hook each batch.
            self.on_train_batch_begin = self._batch_begin
            self.on_train_batch_end = self._batch_end
        self._lr: Optional[float] = None
        self._lr_known = False
        self._batch_lr: Optional[float] = None  # the rate the current batch trains with
        self._spe = 1  # the model's steps_per_execution

    def on_epoch_begin(self, epoch: int, logs: Optional[dict[str, Any]] = None) -> None:
        # A fixed learning rate changes between epochs only (ReduceLROnPlateau,
        # LearningRateScheduler): it is read at the epoch's first logged batch
        # and kept, as reading it syncs the model's state on JAX. A schedule's
        # is read at each logged batch's start.
        self._lr_known = False

    def on_epoch_end(self, epoch: int, logs: Optional[dict[str, Any]] = None) -> None:
        row = {f"epoch/{key}": value for key, value in (logs or {}).items()}
        row["epoch/epoch"] = epoch
        lr = _learning_rate(self.model)
        if lr is not None:
            row["epoch/learning_rate"] = lr
        self.run.log(row)

    def on_train_begin(self, logs: Optional[dict[str, Any]] = None) -> None:
        self._spe = int(getattr(self.model, "steps_per_execution", 1) or 1)

    def _batch_begin(self, batch: int, logs: Optional[dict[str, Any]] = None) -> None:
        # The learning rate is read before the step, so a row has the rate its
        # batch trained with; only for a batch that is logged (its end index is
        # batch + steps_per_execution - 1), as reading it syncs the model's state on JAX.
        if not self._lr_known and (batch + self._spe - 1) % self.log_freq == 0:  # type: ignore[operator]
            model = self.model
            self._lr, self._lr_known = _learning_rate(model), not _scheduled(model)
        self._batch_lr = self._lr

    def _batch_end(self, batch: int, logs: Optional[dict[str, Any]] = None) -> None:
        self._log_batch(batch, logs, self._batch_lr)

    def _log_batch(self, batch: int, logs: Optional[dict[str, Any]], lr: Optional[float]) -> None:
        step = self.global_batch
        self.global_batch += 1
        if self.log_freq and batch % self.log_freq == 0:
            row = {f"batch/{key}": value for key, value in (logs or {}).items()}
            row["batch/batch_step"] = step
            if lr is not None:
                row["batch/learning_rate"] = lr
            self.run.log(row)


class CairnModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """Keras's ``ModelCheckpoint`` that also logs each checkpoint it writes as a ``model`` artifact.

    The arguments are Keras's (``filepath`` ends in ``.keras``, or
    ``.weights.h5`` with ``save_weights_only=True``). The artifact is
    ``run_<run id>_model`` (W&B's name), each version aliased ``latest`` and
    ``epoch_<N>``. Needs a run: call ``agent.init()`` first.
    """

    def __init__(
        self,
        filepath: Any,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: Union[str, int] = "epoch",
        initial_value_threshold: Optional[float] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            filepath=filepath,
            monitor=monitor,
            verbose=verbose,
            save_best_only=save_best_only,
            save_weights_only=save_weights_only,
            mode=mode,
            save_freq=save_freq,
            initial_value_threshold=initial_value_threshold,
            **kwargs,
        )
        self.run = _current_run("CairnModelCheckpoint")
        self._saving: Optional[str] = None  # the path being written, between the two methods below

    def _should_save_model(
        self, epoch: int, batch: Optional[int], logs: Any, filepath: str
    ) -> bool:
        # Keras 3 decides here whether _save_model writes: remember its answer.
        self._saving = None
        should = bool(super()._should_save_model(epoch, batch, logs, filepath))
        if should:
            self._saving = filepath
        return should

    def _save_model(self, epoch: int, batch: Optional[int], logs: Optional[dict[str, Any]]) -> None:
        self._saving = None
        super()._save_model(epoch=epoch, batch=batch, logs=logs)
        path = self._saving
        if path is None or not os.path.isfile(path) or self.run.dir is None:
            return
        from .._artifacts import Artifact

        artifact = Artifact(
            f"run_{self.run.id}_model",
            type="model",
            metadata={"epoch": epoch + 1, "filename": os.path.basename(path)},
        )
        with staging(self.run) as folder:
            copy = shutil.copyfile(path, os.path.join(folder, os.path.basename(path)))
            artifact.add_file(copy)
            self.run.log_artifact(artifact, aliases=["latest", f"epoch_{epoch + 1}"])


# W&B users port `from wandb.integration.keras import ...` by its module alone.
WandbMetricsLogger = CairnMetricsLogger
WandbModelCheckpoint = CairnModelCheckpoint

__all__ = [
    "CairnMetricsLogger",
    "CairnModelCheckpoint",
    "WandbMetricsLogger",
    "WandbModelCheckpoint",
]
