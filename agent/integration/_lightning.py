"""``CairnLogger``, built on either Lightning package: ``lightning.pytorch`` or ``pytorch_lightning``.

The two packages ship the same code under two names, and a Trainer of one
hands its logger objects of its own (``ModelCheckpoint``), so the class is
made once per package from the same body. ``lightning.py`` and
``pytorch_lightning.py`` each import their package and make it.
"""

from __future__ import annotations

import importlib
import os
import shutil
import warnings
from argparse import Namespace
from collections.abc import Mapping

from .._errors import AgentWarning
from ._common import log_at, save_text, staging

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union

SUMMARY_FILE = "model_summary.txt"


def build(package: str) -> type:
    """The ``CairnLogger`` class for ``package`` (``"lightning.pytorch"`` or ``"pytorch_lightning"``)."""
    fabric = "lightning.fabric" if package == "lightning.pytorch" else "lightning_fabric"
    logger_mod = importlib.import_module(f"{package}.loggers.logger")
    utilities = importlib.import_module(f"{package}.loggers.utilities")
    summary_mod = importlib.import_module(f"{package}.utilities.model_summary")
    rank_zero = importlib.import_module(f"{package}.utilities.rank_zero")
    fabric_logger = importlib.import_module(f"{fabric}.utilities.logger")

    Logger = logger_mod.Logger
    rank_zero_experiment = logger_mod.rank_zero_experiment
    rank_zero_only = rank_zero.rank_zero_only
    scan_checkpoints = utilities._scan_checkpoints

    class CairnLogger(Logger):  # type: ignore[misc, valid-type]
        """Log a Lightning run to Cairn: ``Trainer(logger=CairnLogger(project="mnist"))``.

        W&B's ``WandbLogger`` arguments, with its meanings: ``name`` (the
        run's), ``save_dir``/``dir``, ``version``/``id`` (resume that run),
        ``offline``, ``project`` (default ``lightning_logs``), ``log_model``
        (``True``: checkpoints of ``ModelCheckpoint`` as ``model`` artifacts
        when training ends, every one as it is written when ``save_top_k=-1``;
        ``"all"``: every one as it is written), ``experiment`` (a run to log
        to), ``prefix`` (of metric keys), ``checkpoint_name`` (the artifact's,
        default ``model-<run id>``); other keywords go to ``agent.init``.

        Metrics are logged at the trainer's step: the row's ``_step`` is the
        ``global_step`` the trainer reports, which the row also holds as
        ``trainer/global_step`` (W&B's x axis). Hyperparameters
        (``save_hyperparameters``) become the run's config, the model summary
        the file ``model_summary.txt`` and the summary keys ``model/*``.
        ``experiment`` is the ``agent.Run``.
        """

        LOGGER_JOIN_CHAR = "-"

        def __init__(
            self,
            name: Optional[str] = None,
            save_dir: Any = ".",
            version: Optional[str] = None,
            offline: bool = False,
            dir: Any = None,
            id: Optional[str] = None,
            anonymous: Optional[bool] = None,
            project: Optional[str] = None,
            log_model: Union[str, bool] = False,
            experiment: Any = None,
            prefix: str = "",
            checkpoint_name: Optional[str] = None,
            **kwargs: Any,
        ) -> None:
            if log_model not in (True, False, "all"):
                raise ValueError(f"log_model must be True, False or 'all', not {log_model!r}")
            super().__init__()
            save_dir = os.fspath(save_dir) if save_dir is not None else None
            dir = os.fspath(dir) if dir is not None else None
            self._project = (
                project
                or os.environ.get("WANDB_PROJECT")
                or os.environ.get("CAIRN_PROJECT")
                or "lightning_logs"
            )
            self._save_dir = save_dir or dir
            self._name = name
            self._id = version or id
            self._offline = offline
            self._log_model = log_model
            self._prefix = prefix
            self._checkpoint_name = checkpoint_name
            self._experiment = experiment
            self._init_args = dict(kwargs)  # anonymous: W&B's, nothing to do here
            self._logged_model_time: dict[str, float] = {}
            self._checkpoint_callbacks: dict[int, Any] = {}
            self._summary_logged = False

        def __getstate__(self) -> dict[str, Any]:
            # A spawned process gets a copy without the run (it cannot be
            # pickled); its `experiment` resumes the same run id.
            state = self.__dict__.copy()
            if self._experiment is not None:
                state["_id"] = self._experiment.id
            state["_experiment"] = None
            return state

        @property
        @rank_zero_experiment
        def experiment(self) -> Any:
            """The ``agent.Run``: the current one if a run is going on, else one started here."""
            if self._experiment is None:
                from .. import _fluent

                current = _fluent.current()
                if current is not None:
                    self._experiment = current
                else:
                    args: dict[str, Any] = {
                        "project": self._project,
                        "name": self._name,
                        "dir": self._save_dir,
                        "id": self._id,
                        "resume": "allow",
                    }
                    if self._offline:
                        args["mode"] = "offline"
                    args.update(self._init_args)
                    self._experiment = _fluent.init(**args)
            return self._experiment

        @property
        def name(self) -> Optional[str]:
            """The project (as ``WandbLogger``); the run's name is ``experiment.name``."""
            return self._project

        @property
        def version(self) -> Optional[str]:
            """The run's id (without starting a run)."""
            return self._experiment.id if self._experiment is not None else self._id

        @property
        def save_dir(self) -> Optional[str]:
            return self._save_dir

        @rank_zero_only
        def log_hyperparams(
            self, params: Union[dict[str, Any], Namespace], *args: Any, **kwargs: Any
        ) -> None:
            params = fabric_logger._convert_params(params)
            params = fabric_logger._sanitize_callable_params(params)
            params = fabric_logger._convert_json_serializable(params)
            self.experiment.config.update(params, allow_val_change=True)

        @rank_zero_only
        def log_metrics(self, metrics: Mapping[str, float], step: Optional[int] = None) -> None:
            row = dict(fabric_logger._add_prefix(metrics, self._prefix, self.LOGGER_JOIN_CHAR))
            run = self.experiment
            if step is None:
                run.log(row)
                return
            row["trainer/global_step"] = step
            log_at(run, row, step)

        @rank_zero_only
        def log_graph(self, model: Any, input_array: Any = None) -> None:
            """The model summary (Lightning's ``ModelSummary``) as a file and ``model/*`` summary keys."""
            if self._summary_logged:
                return
            self._summary_logged = True
            run = self.experiment
            try:
                summary = summary_mod.ModelSummary(model, max_depth=-1)
                run.summary.update(
                    {
                        "model/total_params": int(summary.total_parameters),
                        "model/trainable_params": int(summary.trainable_parameters),
                        "model/size_mb": float(summary.model_size),
                    }
                )
                if run.dir is not None:
                    save_text(run, SUMMARY_FILE, str(summary) + "\n")
            except Exception as exc:  # a summary is never worth a failed training
                warnings.warn(
                    f"cairn: the model summary was not logged: {exc!r}", AgentWarning, stacklevel=2
                )

        def watch(
            self,
            model: Any,
            log: Optional[str] = "gradients",
            log_freq: int = 100,
            log_graph: bool = True,
        ) -> None:
            """W&B's ``WandbLogger.watch``: gradients and parameters as histograms."""
            self.experiment.watch(model, log=log, log_freq=log_freq, log_graph=log_graph)

        def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
            if self._log_model == "all" or (
                self._log_model is True and getattr(checkpoint_callback, "save_top_k", None) == -1
            ):
                self._log_checkpoints(checkpoint_callback)
            elif self._log_model is True:
                self._checkpoint_callbacks[id(checkpoint_callback)] = checkpoint_callback

        @rank_zero_only
        def finalize(self, status: str) -> None:
            # The run is not finished here: a script may fit, then test, with one logger.
            if status != "success":
                return
            if self._experiment is not None:
                for callback in self._checkpoint_callbacks.values():
                    self._log_checkpoints(callback)
            self._checkpoint_callbacks = {}

        @rank_zero_only
        def _log_checkpoints(self, callback: Any) -> None:
            from .._artifacts import Artifact

            run = self.experiment
            if run.dir is None:  # a disabled run logs nothing
                return
            for mtime, path, score, _tag in scan_checkpoints(callback, self._logged_model_time):
                metadata: dict[str, Any] = {
                    "score": score.item() if hasattr(score, "item") else score,
                    "original_filename": os.path.basename(path),
                    callback.__class__.__name__: {  # not type(): Lightning hands a weakref.proxy
                        k: getattr(callback, k)
                        for k in (
                            "monitor",
                            "mode",
                            "save_last",
                            "save_top_k",
                            "save_weights_only",
                            "_every_n_train_steps",
                        )
                        if hasattr(callback, k)
                    },
                }
                artifact = Artifact(
                    self._checkpoint_name or f"model-{run.id}", type="model", metadata=metadata
                )
                best = path == getattr(callback, "best_model_path", None)
                with staging(run) as folder:
                    copy = shutil.copyfile(path, os.path.join(folder, "model.ckpt"))
                    artifact.add_file(copy, name="model.ckpt")
                    run.log_artifact(artifact, aliases=["latest", "best"] if best else ["latest"])
                self._logged_model_time[path] = mtime

    return CairnLogger
