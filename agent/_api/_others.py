"""The read API's smaller records: the viewer, projects, reports, benchmarks and sweeps."""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

    from ._client import Api


class _Fields:
    """The server's fields of a record, read as attributes (`report.title`)."""

    _data: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None


class Viewer(dict):
    """Who the API key belongs to, as W&B's ``api.viewer``: ``username``, ``entity``
    (the default organisation), ``teams`` (every organisation's slug).

    Also the dict the server answers (``{"username", "orgs", "default_org"}``),
    and callable, so ``api.viewer()`` of earlier Cairn versions still works.
    """

    @property
    def username(self) -> Optional[str]:
        return self.get("username")

    @property
    def entity(self) -> Optional[str]:
        return self.get("default_org")

    @property
    def teams(self) -> list[str]:
        return [o["slug"] for o in self.get("orgs") or []]

    def __call__(self) -> Viewer:
        return self


class Project(_Fields):
    """A project: ``name`` (its slug), ``entity`` (its organisation), ``url``, ``visibility``...

    >>> [p.name for p in Api().projects("local")]  # doctest: +SKIP
    ['mnist', 'bert']
    """

    def __init__(self, api: Api, entity: str, data: dict[str, Any]) -> None:
        self._api = api
        self._data = data
        self.entity = entity
        self.name: str = data.get("slug") or data.get("name") or ""

    @property
    def path(self) -> list[str]:
        return [self.entity, self.name]

    @property
    def display_name(self) -> str:
        return str(self._data.get("name") or self.name)

    @property
    def url(self) -> str:
        return f"{self._api.base_url}/{self.entity}/{self.name}"

    def runs(self, **kwargs: Any) -> Any:
        """This project's runs, as ``Api.runs``."""
        return self._api.runs(f"{self.entity}/{self.name}", **kwargs)

    def sweeps(self) -> list[ApiSweep]:
        """This project's sweeps, newest first."""
        items = self._api._json(f"projects/{self.entity}/{self.name}/sweeps/").get("results") or []
        return [ApiSweep(self._api, self.entity, self.name, item) for item in items]

    def __repr__(self) -> str:
        return f"<Project {self.entity}/{self.name}>"


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
        data: dict[str, Any] = self._api._send("POST", self.path + "/submissions/", body)
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
        data: dict[str, Any] = self._api._send("POST", f"{self.path}/submissions/{int(submission_id)}/withdraw")
        return data

    def __repr__(self) -> str:
        return f"<ApiBenchmark {self.owner}/{self.slug}>"


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


class ApiSweep(_Fields):
    """A sweep, as W&B's ``api.sweep(path)``: ``id``, ``name``, ``state``, ``config``,
    ``method``, ``runs`` (its runs that started), ``best_run()``. Fields are read once."""

    def __init__(self, api: Api, entity: str, project: str, data: dict[str, Any]) -> None:
        self._api = api
        self._data = data
        self.entity = entity
        self.project = project
        self.id: str = data["id"]

    @property
    def path(self) -> list[str]:
        return [self.entity, self.project, self.id]

    @property
    def url(self) -> str:
        return f"{self._api.base_url}/{self.entity}/{self.project}/sweeps/{self.id}/"

    def trials(self) -> list[dict[str, Any]]:
        """Every run the sweep handed out: run_id, params, state, metric (one request)."""
        path = f"projects/{self.entity}/{self.project}/sweeps/{self.id}/runs"
        return list(self._api._json(path).get("results") or [])

    @property
    def runs(self) -> list[Any]:
        """The sweep's runs that started, oldest first (one request a page of 50)."""
        return list(self._api.runs(f"{self.entity}/{self.project}", filters={"sweep": self.id}))

    def best_run(self, order: Optional[str] = None) -> Any:
        """The run with the best metric (the sweep's goal); None before one ended with it."""
        run_id = self._data.get("best_run_id")
        return self._api.run(f"{self.entity}/{self.project}/{run_id}") if run_id else None

    def __repr__(self) -> str:
        return f"<Sweep {'/'.join(self.path)} ({self._data.get('state')})>"
