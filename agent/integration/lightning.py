"""PyTorch Lightning: ``CairnLogger``, a ``lightning.pytorch`` logger (docs/integrations.md).

>>> from lightning.pytorch import Trainer                    # doctest: +SKIP
>>> from agent.integration.lightning import CairnLogger      # doctest: +SKIP
>>> trainer = Trainer(logger=CairnLogger(project="mnist", log_model=True))  # doctest: +SKIP

Importing this module imports Lightning (``lightning``, or else the older
``pytorch_lightning`` package); ``import agent`` does not. For a Trainer of
``pytorch_lightning`` while both are installed, use
``agent.integration.pytorch_lightning``.
"""

from __future__ import annotations

from ._lightning import build

try:
    import lightning.pytorch  # noqa: F401
except ImportError:
    CairnLogger = build("pytorch_lightning")
else:
    CairnLogger = build("lightning.pytorch")

CairnLogger.__module__ = __name__  # pickle (a spawned process) finds the class here
# W&B users port `from lightning.pytorch.loggers import WandbLogger` by its module alone.
WandbLogger = CairnLogger

__all__ = ["CairnLogger", "WandbLogger"]
