"""``Api``: the client of the server's read endpoints, with W&B's ``wandb.Api`` names."""

from __future__ import annotations

import json
import urllib.parse

from .. import _http
from .._errors import UsageError
from .._settings import resolve
from ._mongo import mongo_filter, mongo_order
from ._others import ApiBenchmark, ApiReport, ApiSweep, Project, Viewer
from ._runs import ApiRun, Runs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union

    import requests


class Api:
    """A client of the server's read endpoints, as ``wandb.Api``.

    ``overrides`` may set ``entity`` (the organisation), ``project`` and
    ``base_url``; what it leaves out defaults like ``init``'s settings: the
    environment (``CAIRN_BASE_URL``, ``CAIRN_API_KEY``, ``CAIRN_ORG``,
    ``CAIRN_PROJECT``), then what ``cairn login`` stored. ``base_url=`` and
    ``api_key=`` may also be given directly. Errors raise ``AuthError``,
    ``NotFound`` or ``ServerError``, all ``AgentError``.

    >>> api = Api(overrides={"entity": "local", "project": "mnist"})  # doctest: +SKIP
    >>> [run.name for run in api.runs(filters={"summary_metrics.acc": {"$gt": 0.9}})]  # doctest: +SKIP
    """

    def __init__(
        self,
        overrides: Optional[Union[dict[str, Any], str]] = None,
        timeout: Optional[float] = None,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
    ) -> None:
        if isinstance(overrides, str):  # Cairn's earlier positional Api(base_url, api_key, timeout)
            overrides, base_url = None, overrides
            old_key: Any = timeout
            old_timeout: Any = api_key
            if isinstance(old_key, str) or isinstance(old_timeout, (int, float)):
                api_key = old_key if isinstance(old_key, str) else None
                timeout = old_timeout if isinstance(old_timeout, (int, float)) else None
        given = dict(overrides or {})
        unknown = set(given) - {"entity", "project", "base_url", "run"}
        if unknown:
            raise UsageError(f"overrides: unknown keys {sorted(unknown)} (expected entity, project, base_url)")
        settings = resolve({
            "base_url": base_url or given.get("base_url"),
            "api_key": api_key,
            "org": given.get("entity"),
            "project": given.get("project"),
            "mode": "online",
        })
        self.base_url = (settings.base_url or "").rstrip("/")
        self.api_key = settings.api_key
        self.default_org = settings.org
        self.default_project = settings.project
        self.timeout = 30.0 if timeout is None else float(timeout)
        self._session: Optional[requests.Session] = None
        self._viewer: Optional[Viewer] = None

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = _http.session(self.api_key)
        return self._session

    # -- requests ----------------------------------------------------------------

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}/api/v1/{path.lstrip('/')}"

    def _get(self, path: str, params: Optional[dict[str, Any]] = None, **kwargs: Any) -> requests.Response:
        return _http.request(self.session, "GET", self._url(path), params=params, timeout=self.timeout, **kwargs)

    def _json(self, path: str, params: Optional[dict[str, Any]] = None) -> Any:
        return json.loads(self._get(path, params).text)

    def _send(self, method: str, path: str, data: Optional[dict[str, Any]] = None) -> Any:
        kwargs = _http.json_body(data) if data is not None else {}
        response = _http.request(self.session, method, self._url(path), timeout=self.timeout, **kwargs)
        return json.loads(response.text) if response.text else None

    def _post(self, path: str, data: Optional[dict[str, Any]] = None) -> Any:
        return self._send("POST", path, data or {})

    # -- who and where -----------------------------------------------------------

    @property
    def viewer(self) -> Viewer:
        """Who the API key belongs to: ``.username``, ``.entity``, ``.teams``; also the
        server's dict ``{"username", "orgs", "default_org"}`` (``api.viewer()`` works too)."""
        if self._viewer is None:
            self._viewer = Viewer(self._json("viewer"))
        return self._viewer

    @property
    def default_entity(self) -> Optional[str]:
        """The organisation a path without one means: ``overrides["entity"]``, ``CAIRN_ORG``,
        the stored login's, else the key's default organisation."""
        return self.default_org or self.viewer.entity

    def flush(self) -> None:
        """Nothing to do: this client keeps no cache (W&B's clears one)."""

    def _entity_project(self, path: Optional[str]) -> tuple[str, str]:
        parts = [p for p in (path or "").strip("/").split("/") if p]
        if not parts and self.default_project:
            parts = [self.default_project]
        if len(parts) == 1 and self.default_entity:
            parts = [self.default_entity, *parts]
        if len(parts) != 2:
            raise UsageError(f'expected "entity/project" or "project", got {path!r}')
        return parts[0], parts[1]

    # -- runs --------------------------------------------------------------------

    def runs(
        self,
        path: Optional[str] = None,
        filters: Optional[Union[dict[str, Any], str]] = None,
        order: str = "+created_at",
        per_page: int = 50,
        include_sweeps: bool = True,
    ) -> Runs:
        """The runs of ``"entity/project"`` (or ``"project"``), fetched lazily, oldest first.

        ``filters`` is W&B's MongoDB-style dict, or a string in the server's filter
        language; ``order`` a field with ``+`` (ascending) or ``-``:
        ``"-summary_metrics.acc"``, ``"config.lr"``, ``"created_at"``.

        >>> Api().runs("local/mnist", {"$or": [{"tags": "best"}, {"state": "crashed"}]})  # doctest: +SKIP
        >>> Api().runs("local/mnist", filters='summary.acc > 0.9', order="-summary.acc")  # doctest: +SKIP
        """
        entity, project = self._entity_project(path)
        if isinstance(filters, dict):
            text = mongo_filter(filters)
        elif filters is None or isinstance(filters, str):
            text = filters or ""
        else:
            raise UsageError(f"filters is a dict (W&B's) or a filter-language string, got {type(filters).__name__}")
        return Runs(self, entity, project, text, mongo_order(order) if order else "", per_page)

    def run(self, path: str) -> ApiRun:
        """One run: ``"entity/project/run_id"``, ``"project/run_id"`` (the default entity),
        ``"run_id"`` (the default project), or the run page's ``.../entity/project/runs/run_id``."""
        text = path.strip()
        if text.startswith(self.base_url + "/") and self.base_url:
            text = text[len(self.base_url):]
        elif "://" in text:
            text = urllib.parse.urlsplit(text).path
        parts = [p for p in text.strip("/").split("/") if p]
        if len(parts) == 4 and parts[2] == "runs":
            parts = [parts[0], parts[1], parts[3]]
        if len(parts) == 1 and self.default_project:
            parts = [self.default_project, *parts]
        if len(parts) == 2 and self.default_entity:
            parts = [self.default_entity, *parts]
        if len(parts) != 3:
            raise UsageError(f'expected "entity/project/run_id", got {path!r}')
        entity, project, run_id = parts
        return ApiRun(self, entity, project, self._json(f"projects/{entity}/{project}/runs/{run_id}"))

    def sweep(self, path: str) -> ApiSweep:
        """One sweep: ``"entity/project/sweep_id"``, ``"project/sweep_id"`` or ``"sweep_id"`` (the defaults)."""
        parts = [p for p in path.strip().strip("/").split("/") if p]
        if len(parts) == 1 and self.default_project:
            parts = [self.default_project, *parts]
        if len(parts) == 2 and self.default_entity:
            parts = [self.default_entity, *parts]
        if len(parts) != 3:
            raise UsageError(f'expected "entity/project/sweep_id", got {path!r}')
        entity, project, sweep_id = parts
        return ApiSweep(self, entity, project, self._json(f"projects/{entity}/{project}/sweeps/{sweep_id}"))

    # -- projects, reports, benchmarks ----------------------------------------------

    def projects(self, entity: Optional[str] = None, per_page: int = 200) -> list[Project]:
        """The projects of ``entity`` (default: the default entity) the key may read."""
        org = entity or self.default_entity
        if not org:
            raise UsageError("projects: no entity given, and the key has no default organisation")
        items = self._json(f"orgs/{org}/projects").get("results") or []
        return [Project(self, org, item) for item in items]

    def project(self, name: str, entity: Optional[str] = None) -> Project:
        """One project; ``NotFound`` when it does not exist or the key may not read it."""
        org, slug = self._entity_project(f"{entity}/{name}" if entity else name)
        return Project(self, org, self._json(f"projects/{org}/{slug}"))

    def reports(self, path: Optional[str] = None) -> list[ApiReport]:
        """The reports of ``"entity/project"`` the key may read: published ones, and your own drafts.

        >>> [(r.id, r.title, r.visibility) for r in Api().reports("local/mnist")]  # doctest: +SKIP
        [('x1Y2...', 'Why the loss falls', 'public')]
        """
        entity, project = self._entity_project(path)
        items = self._json(f"projects/{entity}/{project}/reports").get("results") or []
        return [ApiReport(self, item) for item in items]

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

    # -- artifacts (docs/artifacts.md) ------------------------------------------------

    def artifact(self, name: str, type: Optional[str] = None) -> Any:
        """One artifact version, ``"entity/project/name:alias"`` (``:latest`` when left out).

        >>> Api().artifact("acme/cifar/resnet:best").download()  # doctest: +SKIP
        './artifacts/resnet:v3'
        """
        from .._artifacts._api import artifact

        return artifact(self, name, type)

    def artifact_collection(self, type_name: str, name: str) -> Any:
        """One artifact (W&B's collection), ``"entity/project/name"``: ``.artifacts()`` its versions."""
        from .._artifacts._api import artifact_collection

        return artifact_collection(self, type_name, name)

    def artifacts(self, type_name: str, name: str, per_page: int = 50) -> list[Any]:
        """The versions of one artifact, newest first."""
        return list(self.artifact_collection(type_name, name).artifacts())

    artifact_versions = artifacts

    def registered_models(self, entity: Optional[str] = None) -> list[Any]:
        """The organisation's registered models (its model registry); ``.artifact("production")`` fetches one."""
        from .._artifacts._registry import registered_models

        return registered_models(self, entity)

    def __repr__(self) -> str:
        return f"<Api {self.base_url}>"
