"""Hugging Face Transformers: ``CairnCallback``, a ``TrainerCallback`` (docs/integrations.md).

>>> from transformers import Trainer, TrainingArguments                  # doctest: +SKIP
>>> from agent.integration.transformers import CairnCallback             # doctest: +SKIP
>>> Trainer(model, TrainingArguments("out", report_to="none"), train_dataset=ds,
...         callbacks=[CairnCallback(log_model="end")]).train()           # doctest: +SKIP

``report_to`` cannot name it: Transformers 5 accepts only the names of its
own fixed table of integrations there (an unknown one is a ValueError).

Importing this module imports Transformers; ``import agent`` does not.
"""

from __future__ import annotations

import os
import shutil

from transformers import TrainerCallback
from transformers.integrations.integration_utils import rewrite_logs

from ._common import log_at, staging

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union

LOG_MODELS = ("end", "checkpoint", "false")
# The Trainer reports these once, when training ends: summary values, not history (as W&B's).
SINGLE_VALUES = frozenset(
    (
        "train_runtime",
        "train_samples_per_second",
        "train_steps_per_second",
        "train_loss",
        "total_flos",
    )
)


def _log_model_choice(value: Union[str, bool, None]) -> str:
    if value is None:
        value = os.environ.get("WANDB_LOG_MODEL", "false")
    if value is True:
        return "end"
    if value is False:
        return "false"
    choice = str(value).lower()
    if choice in ("true", "1", "yes"):
        return "end"
    if choice in ("", "0", "no", "none"):
        return "false"
    if choice not in LOG_MODELS:
        raise ValueError(f"log_model must be one of {', '.join(LOG_MODELS)}, not {value!r}")
    return choice


class CairnCallback(TrainerCallback):
    """Log a ``Trainer``'s run to Cairn: ``Trainer(..., callbacks=[CairnCallback()])``.

    When training starts, the training arguments and the model's config
    (the arguments win a clash) become the run's config, with
    ``model/num_parameters``; a run is started if none is going on
    (project ``WANDB_PROJECT`` or ``CAIRN_PROJECT``, else ``huggingface``;
    named ``run_name``). Each of the Trainer's logs is a row at
    ``global_step`` (its ``_step``, and ``train/global_step`` as in W&B), keys
    renamed as W&B's callback does (``loss`` -> ``train/loss``,
    ``eval_loss`` -> ``eval/loss``); the end-of-training figures
    (``train_runtime``, ...) go to the summary.

    ``log_model`` (default: ``WANDB_LOG_MODEL``, else ``"false"``):
    ``"end"`` logs the final model (``save_pretrained``) as the ``model``
    artifact ``model-<run id>``, alias ``final_model``; ``"checkpoint"`` also
    logs each checkpoint folder the Trainer saves, aliased
    ``checkpoint_global_step_<N>`` and ``epoch_<E>``. Other keywords go to ``agent.init``.
    """

    def __init__(self, log_model: Union[str, bool, None] = None, **init_args: Any) -> None:
        self._log_model = _log_model_choice(log_model)
        self._init_args = init_args
        self._run: Any = None

    @property
    def run(self) -> Any:
        """The ``agent.Run`` it logs to (None until training starts)."""
        return self._run

    def setup(self, args: Any, state: Any, model: Any) -> None:
        if self._run is not None or not state.is_world_process_zero:
            return
        from .. import _fluent

        run = _fluent.current()
        if run is None:
            init_args: dict[str, Any] = {
                "project": os.environ.get("WANDB_PROJECT")
                or os.environ.get("CAIRN_PROJECT")
                or "huggingface"
            }
            if state.trial_name is not None:  # a hyperparameter search: one run per trial, grouped
                init_args.update(name=state.trial_name, group=args.run_name or args.output_dir)
            elif args.run_name is not None:
                init_args["name"] = args.run_name
            init_args.update(self._init_args)
            run = _fluent.init(**init_args)
        self._run = run
        config: dict[str, Any] = {}
        model_config = getattr(model, "config", None)
        if model_config is not None:
            config.update(
                model_config if isinstance(model_config, dict) else model_config.to_dict()
            )
        config.update(args.to_dict())
        if hasattr(model, "num_parameters"):
            config["model/num_parameters"] = model.num_parameters()
        run.config.update(config, allow_val_change=True)

    def on_train_begin(
        self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any
    ) -> None:
        if state.is_hyper_param_search and self._run is not None:
            self._run.finish()  # each trial is a run of its own
            self._run = None
        self.setup(args, state, model)

    def on_log(
        self,
        args: Any,
        state: Any,
        control: Any,
        model: Any = None,
        logs: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        if not state.is_world_process_zero:
            return
        if self._run is None:
            self.setup(args, state, model)
        logs = logs or {}
        if not SINGLE_VALUES.isdisjoint(logs):
            logs = dict(logs)
            for key in SINGLE_VALUES & logs.keys():
                self._run.summary[key] = logs.pop(key)
        if not logs:
            return
        row = rewrite_logs(logs)
        step = state.global_step
        row["train/global_step"] = step
        log_at(self._run, row, step)

    def on_predict(
        self,
        args: Any,
        state: Any,
        control: Any,
        metrics: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        if state.is_world_process_zero and self._run is not None and metrics:
            self._run.log(rewrite_logs(metrics))

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._log_model != "checkpoint" or self._run is None or not state.is_world_process_zero:
            return
        folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        if not os.path.isdir(folder) or self._run.dir is None:
            return
        from .._artifacts import Artifact

        artifact = Artifact(f"model-{self._run.id}", type="model", metadata=self._numbers())
        epoch = round(state.epoch or 0, 2)
        with staging(self._run) as copy:
            artifact.add_dir(shutil.copytree(folder, os.path.join(copy, "checkpoint")))
            self._run.log_artifact(
                artifact, aliases=[f"epoch_{epoch}", f"checkpoint_global_step_{state.global_step}"]
            )

    def on_train_end(
        self,
        args: Any,
        state: Any,
        control: Any,
        model: Any = None,
        processing_class: Any = None,
        **kwargs: Any,
    ) -> None:
        if (
            self._log_model == "false"
            or self._run is None
            or self._run.dir is None
            or model is None
            or not state.is_world_process_zero
        ):
            return
        from .._artifacts import Artifact

        metadata = self._numbers()
        metadata["final_model"] = True
        artifact = Artifact(f"model-{self._run.id}", type="model", metadata=metadata)
        with staging(self._run) as folder:
            model.save_pretrained(folder)
            if processing_class is not None and hasattr(processing_class, "save_pretrained"):
                processing_class.save_pretrained(folder)
            artifact.add_dir(folder)
            self._run.log_artifact(artifact, aliases=["final_model"])

    def _numbers(self) -> dict[str, Any]:
        """The run's numeric summary, as the metadata of a model it logs."""
        return {
            k: v
            for k, v in dict(self._run.summary).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.startswith("_")
        }


# W&B users' scripts name transformers' WandbCallback; this is its stand-in.
WandbCallback = CairnCallback

__all__ = ["CairnCallback", "WandbCallback"]
