"""The read API, as W&B's ``wandb.Api``: query runs, their history and files; projects,
reports, benchmarks and their leaderboards.

>>> api = Api(base_url="http://127.0.0.1:8000", api_key="cairn_...")  # doctest: +SKIP
>>> for run in api.runs("local/mnist", filters={"summary_metrics.acc": {"$gt": 0.9}}, order="-summary_metrics.acc"):  # doctest: +SKIP
...     print(run.id, run.summary["acc"])

``_client`` has ``Api``; ``_runs`` the runs, their summary and history; ``_files``
a run's files; ``_mongo`` W&B's filter dicts in the server's filter language;
``_others`` the viewer, projects, reports, benchmarks and sweeps.
"""

from __future__ import annotations

from ._client import Api
from ._files import File
from ._mongo import mongo_filter, mongo_order
from ._others import ApiBenchmark, ApiReport, ApiSweep, Project, Viewer
from ._runs import ApiRun, Runs, RunSummary

__all__ = [
    "Api",
    "ApiBenchmark",
    "ApiReport",
    "ApiRun",
    "ApiSweep",
    "File",
    "Project",
    "RunSummary",
    "Runs",
    "Viewer",
    "mongo_filter",
    "mongo_order",
]
