"""Cairn's agent: track a training run in three lines.

>>> import agent
>>> run = agent.init(project="mnist", config={"lr": 3e-4}, mode="disabled")
>>> agent.log({"loss": 0.31, "val": {"acc": 0.9}})
>>> agent.finish()

Importing this package starts nothing and reads nothing; ``init`` does the work.
"""

from __future__ import annotations

from ._config import Config, Summary
from ._errors import (
    AgentError,
    AgentWarning,
    AlreadyDone,
    ApiError,
    AuthError,
    NotFound,
    ServerError,
    UsageError,
)
from ._extras import login, require, termerror, termlog, termwarn
from ._fluent import (
    agent,
    alert,
    define_metric,
    finish,
    init,
    join,
    log,
    mark_preempting,
    restore,
    save,
    setup,
    teardown,
    unwatch,
    watch,
)
from ._run import Run
from ._settings import Settings
from ._sweep import sweep

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

    from . import plot, util
    from ._alerts import AlertLevel
    from ._api import Api
    from ._artifacts import Artifact
    from ._media import (
        Audio,
        Classes,
        Histogram,
        Html,
        Image,
        Molecule,
        Object3D,
        Plotly,
        Table,
        Video,
    )
    from .plot import plot_table

__version__ = "0.1.0"

# W&B's base exception: ``except wandb.Error`` catches what the agent raises on purpose.
Error = AgentError

__all__ = [
    "AgentError",
    "AgentWarning",
    "AlertLevel",
    "AlreadyDone",
    "Api",
    "ApiError",
    "Artifact",
    "Audio",
    "AuthError",
    "Classes",
    "Config",
    "Error",
    "Histogram",
    "Html",
    "Image",
    "Molecule",
    "NotFound",
    "Object3D",
    "Plotly",
    "Run",
    "ServerError",
    "Settings",
    "Summary",
    "Table",
    "UsageError",
    "Video",
    "agent",
    "alert",
    "config",
    "define_metric",
    "finish",
    "init",
    "join",
    "log",
    "login",
    "mark_preempting",
    "plot",
    "plot_table",
    "require",
    "restore",
    "run",
    "save",
    "setup",
    "summary",
    "sweep",
    "teardown",
    "termerror",
    "termlog",
    "termwarn",
    "unwatch",
    "util",
    "watch",
]


_MEDIA = frozenset(("Audio", "Classes", "Histogram", "Html", "Image", "Molecule", "Object3D", "Plotly", "Table", "Video"))


def __getattr__(name: str) -> Any:
    # agent.config, agent.summary and agent.run follow the current run.
    from . import _fluent

    if name == "Api":  # imported on first use: it brings json, urllib and gzip along
        from ._api import Api

        return Api
    if name == "AlertLevel":
        from ._alerts import AlertLevel

        return AlertLevel
    if name == "util":
        import importlib

        return importlib.import_module(".util", __name__)
    if name == "Artifact":  # imported on first use, like Api
        from ._artifacts import Artifact

        return Artifact
    if name in _MEDIA:  # imported on first use, like numpy and Pillow behind them
        from . import _media

        return getattr(_media, name)
    if name in ("plot", "plot_table"):  # agent.plot.roc_curve(...): numpy only when a chart is made
        import importlib  # not `from . import plot`: that asks this very function for `plot` again

        plot = importlib.import_module(".plot", __name__)
        return plot if name == "plot" else plot.plot_table
    if name == "config":
        return _fluent.config()
    if name == "summary":
        return _fluent.summary()
    if name == "run":
        return _fluent.current()
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
