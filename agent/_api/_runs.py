"""Runs as W&B's public API has them: ``Runs`` (a lazy list), ``ApiRun``, its summary and history."""

from __future__ import annotations

import datetime as dt
import json

from .._errors import NotFound, UsageError
from ._files import File, files_select

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from typing import Any, Optional, Union

    from ._client import Api

# Columns every history row has, W&B's names; never sent as keys to the server.
_META = ("_step", "_runtime", "_timestamp")
_STREAMS = {"default": "history", "history": "history", "system": "system", "events": "system"}


def _stream(stream: str) -> str:
    if stream not in _STREAMS:
        raise UsageError(f'stream is "default" (what log() wrote) or "system", got {stream!r}')
    return _STREAMS[stream]


def _key_list(keys: Optional[Sequence[str]]) -> Optional[list[str]]:
    if keys is None:
        return None
    return [keys] if isinstance(keys, str) else list(keys)


def _epoch(iso: Optional[str]) -> Optional[float]:
    if not iso:
        return None
    try:
        return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _dataframe(rows: list[dict[str, Any]], pandas: bool) -> Any:
    """A DataFrame when asked and pandas is installed; else the rows, as W&B does."""
    if pandas:
        try:
            import pandas as pd
        except ImportError:
            return rows
        return pd.DataFrame(rows)
    return rows


class Runs:
    """A lazily paginated list of runs; ``len()`` asks for the count only."""

    def __init__(self, api: Api, entity: str, project: str, filters: str, order: str, per_page: int) -> None:
        self._api = api
        self.entity = entity
        self.project = project
        self._params: dict[str, Any] = {"limit": max(1, min(1000, per_page))}
        if filters:
            self._params["filter"] = filters
        if order:
            self._params["order"] = order
        self._count: Optional[int] = None

    @property
    def org(self) -> str:
        return self.entity

    def _page(self, offset: int, limit: Optional[int] = None) -> dict[str, Any]:
        params = dict(self._params, offset=offset)
        if limit is not None:
            params["limit"] = limit
        data: dict[str, Any] = self._api._json(f"projects/{self.entity}/{self.project}/runs/", params)
        self._count = int(data.get("count", 0))
        return data

    def __iter__(self) -> Iterator[ApiRun]:
        offset = 0
        while True:
            data = self._page(offset)
            results = data.get("results") or []
            for item in results:
                yield ApiRun(self._api, self.entity, self.project, item)
            offset += len(results)
            if not results or not data.get("next"):
                return

    def __len__(self) -> int:
        if self._count is None:
            self._page(0, limit=1)
        return self._count or 0

    @property
    def length(self) -> int:
        return len(self)

    def __getitem__(self, index: int) -> ApiRun:
        if index < 0:
            index += len(self)
        results = (self._page(index, limit=1).get("results") or []) if index >= 0 else []
        if not results:
            raise IndexError(index)
        return ApiRun(self._api, self.entity, self.project, results[0])

    def histories(
        self,
        samples: int = 500,
        keys: Optional[Sequence[str]] = None,
        x_axis: str = "_step",
        format: str = "default",
        stream: str = "default",
    ) -> Any:
        """Every run's sampled history, each row with its ``run_id``: a list of dicts
        (``format="default"``), a pandas or a polars DataFrame (``"pandas"``, ``"polars"``).

        >>> Api().runs("local/mnist", {"state": "finished"}).histories(keys=["loss"], format="pandas")  # doctest: +SKIP
        """
        if format not in ("default", "pandas", "polars"):
            raise UsageError(f'format is "default", "pandas" or "polars", got {format!r}')
        rows = []
        for run in self:
            for row in run.history(samples=samples, keys=keys, x_axis=x_axis, pandas=False, stream=stream):
                rows.append({"run_id": run.id, **row})
        if format == "pandas":
            import pandas as pd

            return pd.DataFrame(rows)
        if format == "polars":
            import polars as pl

            return pl.DataFrame(rows)
        return rows

    def __repr__(self) -> str:
        return f"<Runs {self.entity}/{self.project}>"


class RunSummary:
    """A run's summary, as W&B's: item access, ``get``, ``keys``, ``_json_dict``; changes
    are written back by ``update()`` (or the run's ``update()``).

    >>> run.summary["best_acc"] = 0.93  # doctest: +SKIP
    >>> run.summary.update()  # doctest: +SKIP
    """

    def __init__(self, run: ApiRun, data: dict[str, Any]) -> None:
        self._run = run
        self._json_dict = dict(data)
        self._changed: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        return self._json_dict[key]

    def __getattr__(self, name: str) -> Any:  # run.summary.acc, as W&B
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._json_dict[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setitem__(self, key: str, value: Any) -> None:
        self._json_dict[key] = value
        self._changed[key] = value

    def __delitem__(self, key: str) -> None:
        del self._json_dict[key]
        self._changed[key] = None  # the server removes a key set to null

    def __contains__(self, key: object) -> bool:
        return key in self._json_dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._json_dict)

    def __len__(self) -> int:
        return len(self._json_dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self._json_dict.get(key, default)

    def keys(self) -> Iterable[str]:
        return self._json_dict.keys()

    def values(self) -> Iterable[Any]:
        return self._json_dict.values()

    def items(self) -> Iterable[tuple[str, Any]]:
        return self._json_dict.items()

    def update(self, data: Optional[dict[str, Any]] = None) -> None:
        """Set the keys of ``data`` (if given), then write every change to the server."""
        for key, value in (data or {}).items():
            self[key] = value
        if self._changed:
            self._run._patch({"summary": self._changed})

    def __repr__(self) -> str:
        return repr(self._json_dict)


class ApiRun:
    """A run on the server with W&B's attributes: ``id``, ``name`` (the display name),
    ``entity``, ``project``, ``path`` (``[entity, project, id]``), ``url``, ``state``,
    ``config``, ``summary``, ``tags``, ``notes``, ``group``, ``job_type``, ``created_at``,
    ``heartbeat_at``, ``user``, ``lastHistoryStep``, ``sweep`` (and ``sweep_name``, its id). The server's other fields
    (``runtime``, ``system``, ``streams``...) read as attributes too.

    >>> run = Api().run("local/mnist/2x7kq9")  # doctest: +SKIP
    >>> run.tags.append("best"); run.config["note"] = "kept"; run.update()  # doctest: +SKIP
    """

    def __init__(self, api: Api, entity: str, project: str, data: dict[str, Any]) -> None:
        self._api = api
        self.entity = entity
        self.project = project
        self._load(data)

    def _load(self, data: dict[str, Any]) -> None:
        self._attrs = data
        self.id: str = data["id"]
        self.name: str = data.get("name") or ""
        self.state: Optional[str] = data.get("state")
        self.tags: list[str] = list(data.get("tags") or [])
        self.notes: str = data.get("notes") or ""
        self.group: str = data.get("group") or ""
        self.job_type: str = data.get("job_type") or ""
        self.config: dict[str, Any] = json.loads(json.dumps(data.get("config") or {}))
        self._config_loaded = json.loads(json.dumps(self.config))
        self.summary = RunSummary(self, data.get("summary") or {})
        self.created_at: Optional[str] = data.get("created_at")
        self.heartbeat_at: Optional[str] = data.get("heartbeat_at")
        self.url: Optional[str] = data.get("url")
        self.user: Optional[str] = data.get("user")
        self.sweep_name: Optional[str] = data.get("sweep")  # W&B's name for the sweep's id

    @property
    def sweep(self) -> Any:
        """The sweep that handed the run out (W&B's ``run.sweep``), or None (a request)."""
        if not self.sweep_name:
            return None
        return self._api.sweep(f"{self.entity}/{self.project}/{self.sweep_name}")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._attrs[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def display_name(self) -> str:
        return self.name

    @display_name.setter
    def display_name(self, value: str) -> None:
        self.name = value

    @property
    def org(self) -> str:
        return self.entity

    @property
    def path(self) -> list[str]:
        """``[entity, project, id]``, as W&B; ``"/".join(run.path)`` is what ``Api.run`` takes."""
        return [self.entity, self.project, self.id]

    @property
    def _url_path(self) -> str:
        return f"projects/{self.entity}/{self.project}/runs/{self.id}"

    @property
    def data(self) -> dict[str, Any]:
        """The run object as the server sent it."""
        return dict(self._attrs)

    @property
    def lastHistoryStep(self) -> int:  # noqa: N802 - W&B's name
        step = self._attrs.get("last_step")
        return -1 if step is None else int(step)

    @property
    def system_metrics(self) -> dict[str, Any]:
        return {}

    # -- writes ----------------------------------------------------------------

    def _patch(self, body: dict[str, Any]) -> None:
        self._load(self._api._send("PATCH", self._url_path, body))

    def update(self) -> None:
        """Write back ``name``, ``tags``, ``notes``, ``group``, ``job_type``, ``config`` and ``summary``."""
        config = {k: v for k, v in self.config.items() if self._config_loaded.get(k, object()) != v}
        config.update({k: None for k in self._config_loaded if k not in self.config})
        body: dict[str, Any] = {
            "name": self.name,
            "tags": list(self.tags),
            "notes": self.notes,
            "group": self.group,
            "job_type": self.job_type,
        }
        if config:
            body["config"] = config
        if self.summary._changed:
            body["summary"] = self.summary._changed
        self._patch(body)

    def delete(self, delete_artifacts: bool = False) -> None:
        """Delete the run with its history and files (Cairn has no artifacts to keep or delete)."""
        self._api._send("DELETE", self._url_path)

    def load(self, force: bool = False) -> dict[str, Any]:
        """Read the run again from the server; local changes not yet ``update()``d are dropped."""
        self._load(self._api._json(self._url_path))
        return self._attrs

    def refresh(self) -> ApiRun:
        self.load()
        return self

    # -- history ---------------------------------------------------------------

    def _row_times(self, row: dict[str, Any], time: Optional[float]) -> dict[str, Any]:
        if time is not None:
            row["_timestamp"] = time
            start = _epoch(self.created_at)
            if start is not None:
                row["_runtime"] = time - start
        return row

    def history(
        self,
        samples: int = 500,
        keys: Optional[Sequence[str]] = None,
        x_axis: str = "_step",
        pandas: bool = True,
        stream: str = "default",
    ) -> Union[list[dict[str, Any]], Any]:
        """Sampled history: a DataFrame with a row per step (``_step``, then the keys), or a list
        of dicts when pandas is not installed or ``pandas=False``.

        With ``keys``, only rows holding all of them, as W&B. For a long run, a numeric
        value may be the mean of a bucket of steps (docs/protocol.md, "Sampled history").
        ``stream="system"`` gives the system metrics, with ``_timestamp`` and ``_runtime``.

        >>> run.history(keys=["loss"])  # doctest: +SKIP
           _step  loss
        0      0  2.31
        """
        wanted = _key_list(keys)
        if wanted is not None and x_axis not in _META and x_axis not in wanted:
            wanted.append(x_axis)
        if _stream(stream) == "system":
            rows = list(self._export(wanted, "system"))
            if len(rows) > samples > 0:
                rows = [rows[i * len(rows) // samples] for i in range(samples)]
            return _dataframe(rows, pandas)
        params: dict[str, Any] = {"samples": max(1, min(10_000, samples)), "stream": "history"}
        asked = [k for k in wanted or () if k not in _META]
        if wanted is not None:
            params["keys"] = ",".join(asked)
        series = self._api._json(self._url_path + "/history", params).get("series") or {}
        by_step: dict[int, dict[str, Any]] = {}
        for key, data in series.items():
            for step, value in zip(data.get("steps") or [], data.get("values") or []):
                by_step.setdefault(step, {"_step": step})[key] = value
        rows = [by_step[s] for s in sorted(by_step)]
        if wanted is not None:
            rows = [r for r in rows if all(k in r for k in asked)]
        return _dataframe(rows, pandas)

    def _export(self, keys: Optional[list[str]], stream: str, min_step: Optional[int] = None,
                max_step: Optional[int] = None) -> Iterator[dict[str, Any]]:
        asked = [k for k in keys or () if k not in _META]
        params: dict[str, Any] = {"stream": stream}
        if keys is not None:
            if not asked:  # only _step/_runtime/_timestamp: every row
                keys = None
            else:
                params["keys"] = ",".join(asked)
        if min_step is not None:
            params["min_step"] = min_step
        if max_step is not None:
            params["max_step"] = max_step
        # jsonl is the default; DRF reads a `format` parameter itself (renderer choice).
        response = self._api._get(self._url_path + "/history/export", params, stream=True)
        with response:
            for line in response.iter_lines():
                if not line:
                    continue
                raw = json.loads(line)
                row = {"_step": raw.pop("step")}
                self._row_times(row, raw.pop("time", None))
                if keys is not None and not all(k in raw for k in asked):
                    continue
                row.update(raw)
                yield row

    def scan_history(
        self,
        keys: Optional[Sequence[str]] = None,
        page_size: int = 1000,
        min_step: Optional[int] = None,
        max_step: Optional[int] = None,
    ) -> Iterator[dict[str, Any]]:
        """Every row of the history, unsampled, in logged order: dicts with ``_step``,
        ``_runtime``, ``_timestamp`` and the values. With ``keys``, only rows holding all
        of them. ``min_step`` is inclusive, ``max_step`` exclusive, as W&B. The rows are
        streamed in one response (``page_size`` is accepted for W&B's sake).

        >>> [row["loss"] for row in run.scan_history(keys=["loss"], min_step=100)]  # doctest: +SKIP
        """
        last = None if max_step is None else max_step - 1
        if last is not None and last < (min_step or 0):
            return iter(())
        return self._export(_key_list(keys), "history", min_step, last)

    # -- the rest --------------------------------------------------------------

    def console(self, offset: int = 0, limit: int = 1000, writer: Optional[str] = None) -> list[dict[str, Any]]:
        """Console lines; ``writer`` (a label such as ``rank-1``) reads one process's only."""
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if writer is not None:
            params["writer"] = writer
        lines: list[dict[str, Any]] = self._api._json(self._url_path + "/console", params).get("lines") or []
        return lines

    def writers(self) -> list[dict[str, Any]]:
        """The processes that wrote to the run: label, host, pid, primary, state, offsets."""
        results: list[dict[str, Any]] = self._api._json(self._url_path + "/writers").get("results") or []
        return results

    def files(self, names: Optional[list[str]] = None, per_page: int = 50) -> list[File]:
        """The run's files (those in ``names`` only, if given), all in one request."""
        return files_select(self._api, self._url_path, names)

    def file(self, name: str) -> File:
        """One file of the run; ``NotFound`` when it has none by that name."""
        found = files_select(self._api, self._url_path, [name])
        if not found:
            raise NotFound(f"run {self.id} has no file {name!r}", status=404)
        return found[0]

    def __repr__(self) -> str:
        return f"<Run {self.entity}/{self.project}/{self.id} ({self.state})>"
