"""The read API: query runs, their history and files; benchmarks and their leaderboards.

>>> api = Api(base_url="http://127.0.0.1:8000", api_key="cairn_...")  # doctest: +SKIP
>>> for run in api.runs("local/mnist", filters='summary.acc > 0.9', order="-summary.acc"):  # doctest: +SKIP
...     print(run.id, run.summary["acc"])
"""

from __future__ import annotations

import json
import os
import urllib.parse

from . import _http
from ._errors import UsageError
from ._settings import resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any, Optional, Union

    import requests


def _keys(keys: Optional[Sequence[str]]) -> Optional[str]:
    if keys is None:
        return None
    if isinstance(keys, str):
        return keys
    return ",".join(keys)


class _Fields:
    """The server's fields of a record, read as attributes (`run.name`)."""

    _data: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None


class Api:
    """A client of the server's read endpoints.

    ``base_url`` and ``api_key`` default like ``init``'s: the environment,
    then what ``cairn login`` stored. Errors raise ``AuthError``, ``NotFound``
    or ``ServerError``, all ``AgentError``.
    """

    def __init__(
        self, base_url: Optional[str] = None, api_key: Optional[str] = None, timeout: float = 30.0
    ) -> None:
        settings = resolve({"base_url": base_url, "api_key": api_key, "mode": "online"})
        self.base_url = settings.base_url or ""
        self.api_key = settings.api_key
        self.default_org = settings.org
        self.timeout = timeout
        self._session: Optional[requests.Session] = None

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = _http.session(self.api_key)
        return self._session

    def _get(
        self, path: str, params: Optional[dict[str, Any]] = None, **kwargs: Any
    ) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base_url}/api/v1/{path.lstrip('/')}"
        return _http.request(
            self.session, "GET", url, params=params, timeout=self.timeout, **kwargs
        )

    def _json(self, path: str, params: Optional[dict[str, Any]] = None) -> Any:
        return json.loads(self._get(path, params).text)

    def _post(self, path: str, data: Optional[dict[str, Any]] = None) -> Any:
        url = f"{self.base_url}/api/v1/{path.lstrip('/')}"
        response = _http.request(
            self.session, "POST", url, timeout=self.timeout, **_http.json_body(data or {})
        )
        return json.loads(response.text) if response.text else None

    def _project(self, path: str) -> list[str]:
        parts = [p for p in path.strip("/").split("/") if p]
        if len(parts) == 1 and self.default_org:
            parts = [self.default_org] + parts
        return parts

    def viewer(self) -> dict[str, Any]:
        """Who the API key belongs to: ``{"username", "orgs", "default_org"}``."""
        data: dict[str, Any] = self._json("viewer")
        return data

    def runs(
        self,
        path: str,
        filters: Optional[str] = None,
        order: Optional[str] = None,
        per_page: int = 50,
    ) -> Runs:
        """The runs of ``"org/project"``, filtered with the server's filter language, fetched lazily.

        >>> Api().runs("local/mnist", filters='state = "finished"', order="-created_at")  # doctest: +SKIP
        """
        parts = self._project(path)
        if len(parts) != 2:
            raise UsageError(f'expected "org/project", got {path!r}')
        if filters is not None and not isinstance(filters, str):
            raise UsageError("filters is a string in the server's filter language")
        return Runs(self, parts[0], parts[1], filters, order, per_page)

    def reports(self, path: str) -> list[ApiReport]:
        """The reports of ``"org/project"`` the key may read: published ones, and your own drafts.

        >>> [(r.id, r.title, r.visibility) for r in Api().reports("local/mnist")]  # doctest: +SKIP
        [('x1Y2...', 'Why the loss falls', 'public')]
        """
        parts = self._project(path)
        if len(parts) != 2:
            raise UsageError(f'expected "org/project", got {path!r}')
        items = self._json(f"projects/{parts[0]}/{parts[1]}/reports").get("results") or []
        return [ApiReport(self, item) for item in items]

    def run(self, path: str) -> ApiRun:
        """One run, ``"org/project/run_id"``."""
        parts = self._project(path)
        if len(parts) == 2 and path.count("/") == 1 and self.default_org:
            parts = [self.default_org] + parts
        if len(parts) != 3:
            raise UsageError(f'expected "org/project/run_id", got {path!r}')
        org, project, run_id = parts
        data = self._json(f"projects/{org}/{project}/runs/{run_id}")
        return ApiRun(self, org, project, data)

    def benchmark(self, path: str) -> ApiBenchmark:
        """A benchmark, ``"owner/slug"``: its leaderboard, and submitting runs to it.

        >>> bench = Api().benchmark("lab/imagenet")  # doctest: +SKIP
        >>> bench.submit("acme/resnet/run-1")["status"]  # doctest: +SKIP
        'accepted'
        >>> [(e["rank"], e["org"], e["score"]) for e in bench.leaderboard(limit=3)]  # doctest: +SKIP
        [(1, 'acme', 0.91), (2, 'lab', 0.9), (3, 'acme', 0.88)]
        """
        parts = [p for p in path.strip("/").split("/") if p]
        if len(parts) != 2:
            raise UsageError(f'expected "owner/slug", got {path!r}')
        return ApiBenchmark(self, parts[0], parts[1])


class ApiBenchmark:
    """A benchmark on the server; every method is one request."""

    def __init__(self, api: Api, owner: str, slug: str) -> None:
        self._api = api
        self.owner = owner
        self.slug = slug
        self.path = f"benchmarks/{owner}/{slug}"

    @property
    def data(self) -> dict[str, Any]:
        """The benchmark: name, metric and direction, secondary metrics, config columns..."""
        data: dict[str, Any] = self._api._json(self.path)
        return data

    def leaderboard(
        self,
        limit: int = 50,
        offset: int = 0,
        org: Optional[str] = None,
        config: Optional[dict[str, Any]] = None,
    ) -> list[dict[str, Any]]:
        """Ranked entries, best first: ``[{"rank", "name", "org", "score", "metrics", "config", "url", ...}]``.

        ``org`` and ``config`` (``{"optimizer": "adam"}``) filter; ranks stay
        those of the whole leaderboard.
        """
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if org:
            params["org"] = org
        if config:
            params["config"] = [f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in config.items()]
        results: list[dict[str, Any]] = self._api._json(self.path + "/leaderboard", params).get("results") or []
        return results

    def submit(self, run: str, name: Optional[str] = None) -> dict[str, Any]:
        """Submit a finished run, ``"org/project/run_id"``; returns the submission with its ``status``
        (``accepted``, ``pending`` approval, or ``refused`` with a ``reason``)."""
        body: dict[str, Any] = {"run": run}
        if name:
            body["name"] = name
        data: dict[str, Any] = self._api._post(self.path + "/submissions/", body)
        return data

    def submissions(self, status: Optional[str] = None) -> list[dict[str, Any]]:
        """Your organisations' submissions of every status (all of them for the owner's admins)."""
        params = {"status": status} if status else None
        results: list[dict[str, Any]] = self._api._json(self.path + "/submissions/", params).get("results") or []
        return results

    def submission(self, submission_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self._api._json(f"{self.path}/submissions/{int(submission_id)}")
        return data

    def withdraw(self, submission_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self._api._post(f"{self.path}/submissions/{int(submission_id)}/withdraw")
        return data

    def __repr__(self) -> str:
        return f"<ApiBenchmark {self.owner}/{self.slug}>"


class Runs:
    """A lazily paginated list of runs; ``len()`` asks for the count only."""

    def __init__(
        self,
        api: Api,
        org: str,
        project: str,
        filters: Optional[str],
        order: Optional[str],
        per_page: int,
    ) -> None:
        self._api = api
        self.org = org
        self.project = project
        self._params: dict[str, Any] = {"limit": max(1, min(1000, per_page))}
        if filters:
            self._params["filter"] = filters
        if order:
            self._params["order"] = order
        self._count: Optional[int] = None

    def _page(self, offset: int, limit: Optional[int] = None) -> dict[str, Any]:
        params = dict(self._params, offset=offset)
        if limit is not None:
            params["limit"] = limit
        data: dict[str, Any] = self._api._json(f"projects/{self.org}/{self.project}/runs/", params)
        self._count = int(data.get("count", 0))
        return data

    def __iter__(self) -> Iterator[ApiRun]:
        offset = 0
        while True:
            data = self._page(offset)
            results = data.get("results") or []
            for item in results:
                yield ApiRun(self._api, self.org, self.project, item)
            offset += len(results)
            if not results or not data.get("next"):
                return

    def __len__(self) -> int:
        if self._count is None:
            self._page(0, limit=1)
        return self._count or 0

    def __getitem__(self, index: int) -> ApiRun:
        if index < 0:
            index += len(self)
        results = self._page(index, limit=1).get("results") or []
        if not results:
            raise IndexError(index)
        return ApiRun(self._api, self.org, self.project, results[0])


class ApiRun(_Fields):
    """A run as the server knows it: ``config``, ``summary``, ``state`` and the rest of the run object."""

    def __init__(self, api: Api, org: str, project: str, data: dict[str, Any]) -> None:
        self._api = api
        self.org = org
        self.project = project
        self._data = data


    @property
    def path(self) -> str:
        return f"projects/{self.org}/{self.project}/runs/{self._data['id']}"

    @property
    def data(self) -> dict[str, Any]:
        return dict(self._data)

    def refresh(self) -> ApiRun:
        self._data = self._api._json(self.path)
        return self

    def history(
        self,
        keys: Optional[Sequence[str]] = None,
        samples: int = 500,
        pandas: bool = False,
        stream: str = "history",
    ) -> Union[list[dict[str, Any]], Any]:
        """Sampled history, one row per step: ``[{"step": 0, "loss": 2.3, ...}, ...]``.

        With ``pandas=True``, a DataFrame (pandas must be installed).
        """
        params: dict[str, Any] = {"samples": samples, "stream": stream}
        if keys is not None:
            params["keys"] = _keys(keys)
        series = self._api._json(self.path + "/history", params).get("series") or {}
        rows: dict[int, dict[str, Any]] = {}
        for key, data in series.items():
            times = data.get("times") or []
            for i, (step, value) in enumerate(
                zip(data.get("steps") or [], data.get("values") or [])
            ):
                row = rows.setdefault(step, {"step": step})
                row[key] = value
                if i < len(times) and "time" not in row:
                    row["time"] = times[i]
        ordered = [rows[s] for s in sorted(rows)]
        if pandas:
            import pandas as pd

            return pd.DataFrame(ordered)
        return ordered

    def scan_history(
        self, keys: Optional[Sequence[str]] = None, stream: str = "history"
    ) -> Iterator[dict[str, Any]]:
        """Every row, in step order, streamed from the export endpoint."""
        # jsonl is the default; DRF reads a `format` parameter itself (renderer choice).
        params: dict[str, Any] = {"stream": stream}
        if keys is not None:
            params["keys"] = _keys(keys)
        response = self._api._get(self.path + "/history/export", params, stream=True)
        with response:
            for line in response.iter_lines():
                if line:
                    yield json.loads(line)

    def console(
        self, offset: int = 0, limit: int = 1000, writer: Optional[str] = None
    ) -> list[dict[str, Any]]:
        """Console lines; ``writer`` (a label such as ``rank-1``) reads one process's only."""
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if writer is not None:
            params["writer"] = writer
        data = self._api._json(self.path + "/console", params)
        lines: list[dict[str, Any]] = data.get("lines") or []
        return lines

    def writers(self) -> list[dict[str, Any]]:
        """The processes that wrote to the run: label, host, pid, primary, state, offsets."""
        results: list[dict[str, Any]] = self._api._json(self.path + "/writers").get("results") or []
        return results

    def files(self) -> list[File]:
        """The run's files."""
        items = self._api._json(self.path + "/files/")
        if isinstance(items, dict):
            items = items.get("results") or items.get("files") or []
        return [File(self._api, self.path, item) for item in items]

    def file(self, name: str) -> File:
        for item in self.files():
            if item.path == name:
                return item
        from ._errors import NotFound

        raise NotFound(f"run {self._data.get('id')} has no file {name!r}", status=404)

    def __repr__(self) -> str:
        return (
            f"<ApiRun {self.org}/{self.project}/{self._data.get('id')} {self._data.get('state')}>"
        )


class File:
    """A file of a run: ``path``, ``size``, ``sha256``, ``updated_at``."""

    def __init__(self, api: Api, run_path: str, data: dict[str, Any]) -> None:
        self._api = api
        self._run_path = run_path
        self.path: str = data["path"]
        self.size: Optional[int] = data.get("size")
        self.sha256: Optional[str] = data.get("sha256")
        self.updated_at: Optional[str] = data.get("updated_at")

    def download(self, root: str = ".", replace: bool = True) -> str:
        """Download into ``root`` (keeping the file's relative path); returns the local path."""
        target = os.path.join(root, *self.path.split("/"))
        if os.path.exists(target) and not replace:
            return target
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        url = self._run_path + "/files/" + urllib.parse.quote(self.path, safe="/")
        response = self._api._get(url, stream=True)
        tmp = target + ".part"
        with response, open(tmp, "wb") as fh:
            for chunk in response.iter_content(1 << 20):
                fh.write(chunk)
        os.replace(tmp, target)
        return target

    def __repr__(self) -> str:
        return f"<File {self.path} {self.size}>"


class ApiReport(_Fields):
    """A report: ``id``, ``title``, ``visibility``, ``url``, ``published_version`` and the rest.

    ``content()`` is what readers see (title, description and blocks of the
    published version); ``panels()`` each panel's data, by block id.
    """

    def __init__(self, api: Api, data: dict[str, Any]) -> None:
        self._api = api
        self._data = data


    @property
    def data(self) -> dict[str, Any]:
        return dict(self._data)

    def content(self) -> Optional[dict[str, Any]]:
        """The published version: ``{"number", "title", "blocks": [...], "frozen", ...}``, or None."""
        detail: dict[str, Any] = self._api._json(f"reports/{self._data['id']}")
        return detail.get("published")

    def panels(self) -> dict[str, Any]:
        """Each panel's data: ``{block_id: {"kind", "runs": [...], ...}}`` (non-finite numbers as strings)."""
        data: dict[str, Any] = self._api._json(f"reports/{self._data['id']}/data").get("panels") or {}
        return data

    def __repr__(self) -> str:
        return f"<ApiReport {self._data.get('id')} {self._data.get('title')!r} {self._data.get('visibility')}>"
