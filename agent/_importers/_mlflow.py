"""``cairn import mlflow``: an MLflow tracking server's runs, read with MLflow's own client.

Experiments become projects; each run keeps its id. Params are the config,
metrics the history (each value at its step, with its timestamp), the
latest values the summary; ``mlflow.note.content`` is the notes, the run
name the name, other tags Cairn tags (``key=value``) and, in full,
``system.imported.tags``; artifacts are the run's files (under
``artifacts/``). The status maps to the run's state (``KILLED`` and a run
still ``RUNNING`` are ``crashed``) and is kept, with the start and end
times, in ``system.imported``.
"""

from __future__ import annotations

import math
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Callable, Optional

    from ._target import Destination, ImportedRun

STATES = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "crashed"}
NOTE = "mlflow.note.content"
MAX_TAGS = 100
MAX_TAG_LENGTH = 128
# get_metric_history is one request per metric: several at once hide the round trips.
READERS = 8


def _client(uri: str) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        from .._errors import UsageError

        raise UsageError("importing from MLflow needs the mlflow package: pip install mlflow") from None
    return MlflowClient(tracking_uri=uri)


def _experiments(client: Any, name: Optional[str]) -> list[Any]:
    if name:
        found = client.get_experiment_by_name(name)
        if found is None:
            from .._errors import UsageError

            raise UsageError(f"no MLflow experiment named {name!r}")
        return [found]
    out, token = [], None
    while True:
        page = client.search_experiments(max_results=1000, page_token=token)
        out.extend(page)
        token = page.token
        if not token:
            return out


def _runs(client: Any, experiment_id: str) -> list[Any]:
    out, token = [], None
    while True:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token, order_by=["attributes.start_time ASC"])
        out.extend(page)
        token = page.token
        if not token:
            return out


def _points(client: Any, run_id: str, keys: list[str]) -> Iterable[tuple[str, float, int, int]]:
    """``(key, value, timestamp, step)`` of every value of the run's metrics ``keys``.

    From a database tracking URI (``sqlite:///``, ``postgresql://``), MLflow's
    own store, session and ``SqlMetric`` model are asked for plain rows in one
    query: building a ``Metric`` entity per value is what makes
    ``get_metric_history`` slow. Otherwise (a server) ``get_metric_history``,
    several metrics at once.
    """
    store = getattr(getattr(client, "_tracking_client", None), "store", None)
    sessions = getattr(store, "ManagedSessionMaker", None)
    if sessions is not None:
        try:
            from mlflow.store.tracking.dbmodels.models import SqlMetric
        except ImportError:
            sessions = None
    if sessions is not None:
        with sessions() as session:
            query = session.query(SqlMetric.key, SqlMetric.value, SqlMetric.timestamp, SqlMetric.step, SqlMetric.is_nan)
            for key, value, ts, step, is_nan in query.filter(SqlMetric.run_uuid == run_id).yield_per(50_000):
                yield key, (math.nan if is_nan else value), ts, step
        return
    with ThreadPoolExecutor(max_workers=min(READERS, max(1, len(keys)))) as pool:
        for series in pool.map(lambda k: client.get_metric_history(run_id, k), keys):
            for m in series:
                yield m.key, m.value, m.timestamp, m.step


def history(client: Any, run_id: str, keys: list[str]) -> list[tuple[int, float, dict[str, Any]]]:
    """Every metric value of a run as history rows, by step then time (one row per step and time)."""
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for key, value, ts, step in _points(client, run_id, keys):
        row = rows.setdefault((int(step), int(ts)), {})
        row[key] = float(value)
    # One row per (step, timestamp): MLflow may hold a key twice at one step, at different times.
    return [(step, ts / 1000.0, row) for (step, ts), row in sorted(rows.items())]


def param(text: str) -> Any:
    """An MLflow param (always text) as the number or boolean it was logged as, else the text.

    >>> param("0.001"), param("32"), param("True"), param("adam"), param("nan")
    (0.001, 32, True, 'adam', 'nan')
    """
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        return value if value == value and value not in (float("inf"), float("-inf")) else text
    return text


def _tags(tags: dict[str, str]) -> list[str]:
    out = []
    for key, value in sorted(tags.items()):
        if key.startswith("mlflow."):
            continue
        out.append((f"{key}={value}" if value else key)[:MAX_TAG_LENGTH])
    return out[:MAX_TAGS]


def _artifacts(client: Any, uri: str, run: ImportedRun, run_id: str) -> int:
    """Download the run's artifacts and add them as files; returns how many."""
    from mlflow.artifacts import download_artifacts

    if not client.list_artifacts(run_id):
        return 0
    count = 0
    with tempfile.TemporaryDirectory(prefix="cairn-mlflow-") as tmp:
        local = download_artifacts(run_id=run_id, dst_path=tmp, tracking_uri=uri)
        for here, _, files in os.walk(local):
            for name in sorted(files):
                src = os.path.join(here, name)
                rel = os.path.relpath(src, local).replace(os.sep, "/")
                count += 1 if run.file(f"artifacts/{rel}", src) else 0
    return count


def import_mlflow(
    dest: Destination,
    uri: str,
    *,
    experiment: Optional[str],
    project: Optional[str],
    say: Callable[[str], None],
    timeout: float = 60.0,
    keep: bool = False,
) -> int:
    """Import every run of the experiments; returns how many failed."""
    from ._target import ImportedRun, import_run, project_slug, run_id_for

    client = _client(uri)
    failed = 0
    for exp in _experiments(client, experiment):
        slug = project or project_slug(exp.name, "default")
        for source in _runs(client, exp.experiment_id):
            info, data = source.info, source.data
            imported = {
                "from": "mlflow",
                "uri": uri,
                "id": info.run_id,
                "experiment": exp.name,
                "status": info.status,
                "start_time": info.start_time / 1000.0 if info.start_time else None,
                "end_time": info.end_time / 1000.0 if info.end_time else None,
                "tags": dict(data.tags),
                # A run that changed since (more metrics, a new status) is imported again.
                "version": f"{info.status}:{info.end_time}:{sorted(data.metrics.items())}",
            }
            run = ImportedRun(dest, run_id=run_id_for(info.run_id), project=slug, imported=imported)

            def write(run: ImportedRun, info: Any = info, data: Any = data) -> None:
                rows = history(client, info.run_id, sorted(data.metrics))
                run.open(name=info.run_name or data.tags.get("mlflow.runName"), config={k: param(v) for k, v in data.params.items()})
                run.meta(notes=data.tags.get(NOTE), tags=_tags(data.tags), job_type="mlflow")
                for step, when, row in rows:
                    run.log(step, when, row)
                try:
                    _artifacts(client, uri, run, info.run_id)
                except Exception as exc:  # e.g. mlflow-artifacts:/ read from the database, without its server
                    say(f"{run.project}/{run.id}: artifacts not imported: {exc}")
                run.end(STATES.get(info.status, "crashed"))

            failed += 0 if import_run(run, write, say=say, timeout=timeout, keep=keep) else 1
    return failed
