"""``CairnLogger`` for the ``pytorch_lightning`` package (``lightning``'s older name).

Lightning ships under both names; a Trainer of one takes loggers built on the
same one. ``agent.integration.lightning`` is the one for ``lightning.pytorch``.
"""

from __future__ import annotations

from ._lightning import build

CairnLogger = build("pytorch_lightning")
CairnLogger.__module__ = __name__  # pickle (a spawned process) finds the class here
WandbLogger = CairnLogger

__all__ = ["CairnLogger", "WandbLogger"]
