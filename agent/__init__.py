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
    ApiError,
    AuthError,
    NotFound,
    ServerError,
    UsageError,
)
from ._fluent import define_metric, finish, init, log, save
from ._run import Run
from ._settings import Settings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

    from . import plot
    from ._api import Api
    from ._artifacts import Artifact
    from ._media import Audio, Histogram, Html, Image, Plotly, Table, Video
    from .plot import plot_table

__version__ = "0.1.0"

__all__ = [
    "AgentError",
    "AgentWarning",
    "Api",
    "ApiError",
    "Artifact",
    "Audio",
    "AuthError",
    "Config",
    "Histogram",
    "Html",
    "Image",
    "NotFound",
    "Plotly",
    "Run",
    "ServerError",
    "Settings",
    "Summary",
    "Table",
    "UsageError",
    "Video",
    "config",
    "define_metric",
    "finish",
    "init",
    "log",
    "plot",
    "plot_table",
    "run",
    "save",
    "summary",
]


_MEDIA = frozenset(("Audio", "Histogram", "Html", "Image", "Plotly", "Table", "Video"))


def __getattr__(name: str) -> Any:
    # agent.config, agent.summary and agent.run follow the current run.
    from . import _fluent

    if name == "Api":  # imported on first use: it brings json, urllib and gzip along
        from ._api import Api

        return Api
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
