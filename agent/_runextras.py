"""W&B's ``Run`` attributes and methods beyond logging, mixed into ``Run``.

Each is thin: metadata goes to the server through the META spool record
(like ``name``), alerts through the ALERT one; the heavier work (watching a
model, saving code, restoring a file) lives in its own module, imported on
first use.
"""

from __future__ import annotations

import time

from . import _spool

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import IO, Any, Optional, Union

    from ._alerts import Alerts
    from ._settings import Settings


class RunSurface:
    """The attributes W&B users read and set on a run (see ``docs/agent.md``)."""

    # Set by the launcher as the run starts; these defaults are a disabled run's.
    id: str
    project: str
    org: Optional[str]
    _url: Optional[str] = None
    _org_asked = False
    dir: Optional[str]
    settings: Settings
    _notes: Optional[str] = None
    _tags: tuple[str, ...] = ()
    _group: Optional[str] = None
    _job_type: Optional[str] = None
    _resumed = False
    _start_time = 0.0
    _starting_step = 0
    _preempting = False
    _alerts: Optional[Alerts] = None

    if TYPE_CHECKING:

        def _set_meta(self, field: str, value: Any) -> None: ...
        def _record(self, kind: int, body: Any) -> None: ...
        def _warn(self, key: str, message: str, marker: Optional[tuple[str, str]] = None) -> None: ...
        @property
        def mode(self) -> str: ...
        @property
        def step(self) -> int: ...

    def _started(
        self,
        *,
        notes: Optional[str],
        tags: Optional[Sequence[str]],
        group: Optional[str],
        job_type: Optional[str],
        resumed: bool = False,
    ) -> None:
        """What init gave: kept here without recording (the run's create sends it)."""
        self._notes = notes
        self._tags = tuple(tags or ())
        self._group = group
        self._job_type = job_type
        self._resumed = resumed
        self._start_time = time.time()
        self._starting_step = self.step

    # -- metadata the user may change (sent to the server) -------------------------

    @property
    def notes(self) -> Optional[str]:
        return self._notes

    @notes.setter
    def notes(self, value: Optional[str]) -> None:
        self._notes = value
        self._set_meta("notes", value)

    @property
    def tags(self) -> tuple[str, ...]:
        """A tuple, like W&B's: assign a new one (``run.tags = run.tags + ("new",)``)."""
        return self._tags

    @tags.setter
    def tags(self, value: Sequence[str]) -> None:
        self._tags = tuple(str(t) for t in value or ())
        self._set_meta("tags", list(self._tags))

    @property
    def group(self) -> Optional[str]:
        return self._group

    @group.setter
    def group(self, value: Optional[str]) -> None:
        self._group = value
        self._set_meta("group", value)

    @property
    def job_type(self) -> Optional[str]:
        return self._job_type

    @job_type.setter
    def job_type(self, value: Optional[str]) -> None:
        self._job_type = value
        self._set_meta("job_type", value)

    # -- where the run is ------------------------------------------------------------

    @property
    def entity(self) -> Optional[str]:
        """W&B's name for the organisation the run belongs to."""
        return self._known_org()

    @property
    def config_static(self) -> Any:
        """W&B's read-only view of the config: attribute and item access to a copy."""
        config: Any = getattr(self, "config")  # noqa: B009 - set by Run.__init__
        return _StaticConfig(dict(config))

    @property
    def history(self) -> _HistoryView:
        """W&B's ``run.history``: old scripts read ``run.history._step``, the step the next row gets."""
        return _HistoryView(self)

    @property
    def path(self) -> str:
        """``"entity/project/id"``, what ``agent.Api().run()`` takes."""
        return f"{self._known_org() or ''}/{self.project}/{self.id}"

    def project_name(self) -> str:
        return self.project

    @property
    def url(self) -> Optional[str]:
        """The run's page; None offline, or while the server cannot be reached."""
        if self._url is None:
            self._known_org()
        return self._url

    @url.setter
    def url(self, value: Optional[str]) -> None:
        self._url = value

    def get_url(self) -> Optional[str]:
        return self.url

    def get_project_url(self) -> Optional[str]:
        if not self._known_org() or self.mode == "disabled":
            return None
        return f"{self.settings.base_url}/{self.org}/{self.project}"

    def _known_org(self) -> Optional[str]:
        """The organisation; an online run started without one asks the server for the key's default.

        init does not wait on the network, so the org is asked for here, once,
        the first time a W&B attribute needs it (W&B's init waits for it instead).
        """
        if self.org is None and not self._org_asked and self.mode == "online" and self.settings.api_key:
            self._org_asked = True
            from ._http import request, session

            try:
                url = f"{self.settings.base_url}/api/v1/viewer"
                viewer = request(session(self.settings.api_key), "GET", url, timeout=5.0).json()
            except Exception:  # the server is down: the background process will say so
                return None
            org = viewer.get("default_org") if isinstance(viewer, dict) else None
            if isinstance(org, str) and org:
                self.org = org
                if self._url is None:
                    self._url = f"{self.settings.base_url}/{org}/{self.project}/runs/{self.id}"
        return self.org

    def get_sweep_url(self) -> Optional[str]:
        """The page of the sweep that started this run; None outside a sweep."""
        path = self.__dict__.get("_sweep_path")
        if not path or path.count("/") != 2:
            return None
        org, project, sweep_id = path.split("/")
        return f"{self.settings.base_url}/{org}/{project}/sweeps/{sweep_id}/"

    @property
    def sweep_id(self) -> Optional[str]:
        """The id of the sweep whose agent started this run (W&B's ``run.sweep_id``)."""
        path = self.__dict__.get("_sweep_path")
        return path.rsplit("/", 1)[-1] if path else None

    @property
    def offline(self) -> bool:
        return self.mode == "offline"

    @property
    def resumed(self) -> bool:
        """True when the server said the run existed and this session resumed it."""
        return self._resumed

    @property
    def start_time(self) -> float:
        return self._start_time

    @property
    def starting_step(self) -> int:
        """The step of the first row this session logs (after a resume, the one after the last)."""
        return self._starting_step

    def mark_preempting(self) -> None:
        """W&B's hint that the job is about to be preempted: kept in the run's debug log.

        Cairn has no "preempted" state yet; a run that stops without finishing
        is marked crashed, and ``resume=`` picks it up again.
        """
        self._preempting = True
        if self.dir:
            from ._state import debug

            debug(self.dir, "mark_preempting(): the job said it is about to be preempted")

    # -- alerts, watching, code, files -------------------------------------------------

    def alert(
        self,
        title: str,
        text: str,
        level: Any = None,
        wait_duration: Union[int, float, Any, None] = None,
    ) -> None:
        """Send an alert (stored with the run, listed on its page).

        ``level`` is ``AlertLevel.INFO`` (default), ``WARN`` or ``ERROR`` (or
        their names); a repeat of the same ``title`` within ``wait_duration``
        (seconds or a ``timedelta``) is counted on the first, not sent again.
        Delivery by email or webhook is not built yet.

        >>> from agent import Run; Run.disabled().alert("loss is NaN", "at step 10")
        """
        if self._alerts is None:
            from ._alerts import Alerts

            self._alerts = Alerts()
        try:
            body = self._alerts.add(title, text, level, wait_duration, warn=self._warn)
        except ValueError as exc:
            from ._errors import UsageError

            raise UsageError(str(exc)) from None
        if body is not None:
            self._record(_spool.ALERT, body)

    def watch(
        self,
        models: Any,
        criterion: Any = None,
        log: Optional[str] = "gradients",
        log_freq: int = 1000,
        idx: Optional[int] = None,
        log_graph: bool = False,
    ) -> None:
        """Log histograms of a PyTorch model's gradients and/or parameters every ``log_freq`` steps.

        ``log`` is ``"gradients"`` (default), ``"parameters"``, ``"all"`` or None.
        Keys are W&B's: ``gradients/<name>`` and ``parameters/<name>``.
        """
        from ._watch import watch

        run: Any = self
        watch(run, models, criterion=criterion, log=log, log_freq=log_freq, idx=idx, log_graph=log_graph)

    def unwatch(self, models: Any = None) -> None:
        """Stop what ``watch`` started, for ``models`` (default: every watched model)."""
        from ._watch import unwatch

        run: Any = self
        unwatch(run, models)

    def log_code(
        self,
        root: Optional[str] = ".",
        name: Optional[str] = None,
        include_fn: Optional[Callable[..., bool]] = None,
        exclude_fn: Optional[Callable[..., bool]] = None,
    ) -> None:
        """Save the source files under ``root`` (``.py`` by default) as run files under ``code/``.

        W&B makes a code artifact of them; Cairn has no artifacts yet, so they
        are run files (``name`` is accepted and unused).
        """
        from ._code import log_code

        run: Any = self
        log_code(run, root, include_fn=include_fn, exclude_fn=exclude_fn)

    def restore(
        self,
        name: str,
        run_path: Optional[str] = None,
        replace: bool = False,
        root: Optional[str] = None,
    ) -> Optional[IO[str]]:
        """Download file ``name`` of this run (or of ``run_path``) and return it opened for reading."""
        from ._extras import restore

        run: Any = self
        return restore(name, run_path=run_path, replace=replace, root=root, run=run)


class _StaticConfig(dict):
    """A copy of the config with attribute access (W&B's ``ConfigStatic``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class _HistoryView:
    def __init__(self, run: RunSurface) -> None:
        self._run = run

    @property
    def _step(self) -> int:
        return self._run.step
