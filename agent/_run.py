"""The ``Run`` object: what the training process does per call.

``log()`` does the least it can: a type check of the values, one ``marshal``
call and a copy into a memory-mapped spool segment. Everything else (JSON,
uploads, retries, system metrics) happens in the background process.
"""

from __future__ import annotations

import glob as globlib
import marshal
import os
import time
import traceback
import warnings
from collections.abc import Mapping

from . import _spool
from ._config import Config, Summary
from ._errors import AgentWarning, UsageError
from ._errors import user_stacklevel as _user_stacklevel
from ._metrics import MetricDefs, parse_summary
from ._runartifacts import RunArtifacts
from ._runextras import RunSurface
from ._settings import Settings
from ._state import debug
from ._values import MAX_STEP, SCALARS, UNLIMITED, flatten, over_limits, shown_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Optional, Protocol, Union

    from ._console import Capture

    class Background(Protocol):
        """What ``finish()`` needs of the run's background process (``_launch.Service``)."""

        def finish(self, run: Run, quiet: bool, exit_code: int = 0) -> Optional[str]: ...


_dumps = marshal.dumps
_time = time.time
_issuperset = SCALARS.issuperset
_unlimited = UNLIMITED.issuperset
_H = _spool.HISTORY
POLICIES = ("live", "end", "now")


class _ClassOrInstance:
    """``Run.disabled()`` makes a disabled run; ``run.disabled`` says whether one is (W&B's)."""

    def __init__(self, make: Callable[..., Run]) -> None:
        self._make = make
        self.__doc__ = make.__doc__

    def __get__(self, run: Optional[Run], cls: type[Run]) -> Any:
        if run is None:
            return self._make.__get__(cls, type(cls))
        return run.mode == "disabled"


class Run(RunSurface, RunArtifacts):
    """One tracked run. Create it with ``agent.init()``; see ``docs/agent.md``.

    The launcher hands it what it records into: the spool ``writer`` and the
    background ``process`` that uploads it, which ``finish()`` waits for. A
    run without a writer records nothing. ``on_finish`` is called once as the
    run finishes, before that wait (the convenience layer forgets its current
    run there), so this module needs nothing from the layers above it.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        run_id: str,
        project: str,
        run_dir: Optional[str],
        config: Optional[Mapping[str, Any]] = None,
        step: int = 0,
        url: Optional[str] = None,
        name: Optional[str] = None,
        writer: Optional[_spool.MappedWriter] = None,
        process: Optional[Background] = None,
        on_finish: Optional[Callable[[Run], None]] = None,
    ) -> None:
        self.id = run_id
        self.project = project
        self.org = settings.org
        self.dir = run_dir
        self.url = url
        self.settings = settings
        self._step = step
        self._pending: dict[str, Any] = {}
        self._last: dict[str, Any] = {}
        self._metrics = MetricDefs()
        self._track = False  # some metric is summarised by min/max/mean: log() updates it
        self._warned: set[tuple[str, str]] = set()
        self._pid = os.getpid()  # the process that records; a forked child does not
        self._in_fork = False
        self._writer: Optional[_spool.MappedWriter] = None
        self._append = _noop
        # True while log() must do nothing: disabled, finished, or a forked child.
        self._off = True
        self._finished = False
        self.config = Config(config, self)
        self.summary = Summary(self)
        self._process = process
        self._capture: Optional[Capture] = None
        self._name = name
        self._on_finish = on_finish
        if writer is not None:
            self._open(writer)
            if settings.capture_console:
                from ._console import Capture

                self._capture = Capture(self._console_line)
                self._capture.start()

    @_ClassOrInstance
    def disabled(
        cls: type[Run],
        config: Optional[Mapping[str, Any]] = None,
        *,
        on_finish: Optional[Callable[[Run], None]] = None,
    ) -> Run:
        """A run on which every call is a cheap no-op (``mode="disabled"``)."""
        settings = Settings(mode="disabled")
        return cls(
            settings=settings,
            run_id="disabled",
            project="disabled",
            run_dir=None,
            config=config,
            on_finish=on_finish,
        )

    # -- recording -----------------------------------------------------------

    def _open(self, writer: _spool.MappedWriter) -> None:
        self._writer = writer
        self._append = writer.append
        self._off = False

    def _record(self, kind: int, body: Any) -> None:
        if self._off:
            return
        try:
            self._append(kind, _dumps(body))
        except Exception as exc:
            self._internal_error(exc)

    def _console_line(self, when: float, stream: str, line: str) -> None:
        self._record(_spool.CONSOLE, (when, stream, line))

    @property
    def step(self) -> int:
        """The step the next committed row gets."""
        return self._step

    @property
    def mode(self) -> str:
        return self.settings.mode or "online"

    def log(
        self,
        data: Optional[Mapping[str, Any]] = None,
        step: Optional[int] = None,
        commit: Optional[bool] = True,
    ) -> None:
        """Log one row of metrics; never raises (unless ``settings.strict``).

        ``commit=False`` keeps the row open for the next call; ``log()`` with
        no data commits it.

        >>> run = Run.disabled(); run.log({"loss": 0.5, "acc": {"train": 0.9}}); run.step
        0
        """
        if self._off:
            if self._in_fork:
                self._warn_forked()
            return
        try:
            if (
                step is None
                and commit is True
                and not self._pending
                and not self._track
                and type(data) is dict
                and _unlimited(map(type, data.values()))
            ):
                # The hot path: numbers, one row per call. No server limit applies
                # to them; their keys are checked in the background (_batch.Screen).
                current = self._step
                self._append(_H, _dumps((current, _time(), data)))
                self._last.update(data)
                self._step = current + 1
                return
            self._log_slow(data, step, commit)
        except UsageError:
            raise
        except Exception as exc:
            self._internal_error(exc)

    def _log_slow(
        self, data: Optional[Mapping[str, Any]], step: Optional[int], commit: Optional[bool]
    ) -> None:
        if data is None:
            data = {}
        if commit is None:
            commit = True
        if not isinstance(data, Mapping):
            self._warn("log", f"log() takes a dict of values, not {type(data).__name__}")
            return
        if step is not None:
            if (
                isinstance(step, bool)
                or not isinstance(step, int)
                and not hasattr(step, "__index__")
            ):
                self._warn("step", f"step must be an integer, not {type(step).__name__}; ignored")
            elif int(step) < 0:
                self._warn("step", f"step must be >= 0, not {step}; ignored")
            elif int(step) > MAX_STEP:
                self._warn("step", f"step must be at most 2**63 - 1, not {step}; ignored")
            else:
                step = int(step)
                # W&B's rule: steps never go back. The step of the last row
                # (or of the row pending) may be logged again: W&B adds to
                # that row, the server keeps the later value of a key.
                floor = self._step if self._pending else self._step - 1
                if step < floor:
                    self._warn(
                        "step",
                        f"step {step} is below step {floor}, the last one logged; steps must"
                        " increase, so this row was not logged (said once: later rows like it"
                        " are not logged either)",
                        marker=("step", "below"),
                    )
                    return
                if step != self._step:
                    if self._pending:
                        self._commit()
                    self._step = step
        row: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        flatten(data, row, problems)
        for key, why in problems:
            self._warn(key, f"not logged: key {key!r}: {why}")
        if not _issuperset(map(type, row.values())):
            self._write_media(row)
        self._check_limits(row)
        self._pending.update(row)
        if commit:
            self._commit()

    def _write_media(self, row: dict[str, Any]) -> None:
        """Media values of a row to files in the run folder; the row keeps their references."""
        from . import _media

        for key, value in list(row.items()):
            if type(value) is dict or type(value) in SCALARS:
                continue
            try:
                row[key] = _media.reference(self, key, self._step, value)
            except UsageError:
                raise
            except Exception as exc:
                del row[key]
                self._warn(key, f"not logged: key {key!r}: {exc}")

    def _summary_value(self, key: str, value: Any) -> Any:
        """A summary value as ``log()`` takes it: media and arrays written, their reference kept (as in W&B)."""
        row: dict[str, Any] = {}
        flatten({key: value}, row, [])
        if key not in row or self.dir is None:
            return value  # neither media nor an array: the summary's jsonable() has the last word
        if type(row[key]) is dict or type(row[key]) in SCALARS:
            return row[key]
        from . import _media

        return _media.reference(self, key, self._step, row[key])

    def _check_limits(self, row: dict[str, Any]) -> None:
        """Leave out of ``row`` what the server would refuse (its limits), and say so."""
        for key, why in over_limits(row):
            del row[key]
            self._warn(key, f"not logged: key {shown_key(key)}: {why}")

    def _commit(self) -> None:
        row, self._pending = self._pending, {}
        current = self._step
        if row:
            self._append(_H, _dumps((current, _time(), row)))
            self._last.update(row)
            self._metrics.update(row)
        self._step = current + 1

    def define_metric(
        self,
        name: str,
        step_metric: Optional[str] = None,
        step_sync: Optional[bool] = None,
        hidden: Optional[bool] = None,
        summary: Optional[str] = None,
        goal: Optional[str] = None,
        overwrite: Optional[bool] = None,
    ) -> None:
        """Choose how a metric is summarised, and its x axis (W&B's arguments).

        ``summary`` is ``min``, ``max``, ``mean``, ``first``, ``last``,
        ``best`` (min or max by ``goal``: ``minimize``/``maximize``), ``copy``
        (last), or several comma-separated: the first at ``name``, each at
        ``name/<summary>``. ``name`` may end in ``*`` to match many
        (``"val/*"``). ``step_sync``, ``hidden`` and ``overwrite`` are accepted.

        >>> run = Run.disabled(); run.define_metric("loss", summary="min")
        """
        try:
            how = parse_summary(summary, goal)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        self._metrics.define(name, how, step_metric)
        self._track = self._metrics.active
        self._record(_spool.METRIC, (name, how or "last", step_metric))

    def save(
        self, path_or_glob: Optional[str] = None, base_path: Optional[str] = None, policy: str = "live"
    ) -> Union[list[str], bool]:
        """Upload files matching ``path_or_glob``: ``now``, at the ``end``, or ``live`` (again on change).

        Paths on the server are relative to ``base_path`` (default: the
        working directory). Returns the files that match now. With no
        argument it does nothing and returns True, as W&B's does (old code
        called it to push the run's attributes, which are always sent now).

        >>> run = Run.disabled(); run.save("*.ckpt", policy="end")
        []
        """
        if path_or_glob is None:
            return True
        if policy not in POLICIES:
            raise UsageError(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}")
        if self._off:
            return []
        pattern = os.path.abspath(os.fspath(path_or_glob))
        base = os.path.abspath(base_path) if base_path else os.getcwd()
        self._record(_spool.FILE, (pattern, policy, base))
        return sorted(p for p in globlib.glob(pattern, recursive=True) if os.path.isfile(p))

    def _histogram(self, **kwargs: Any) -> Any:
        """An ``agent.Histogram`` (for ``watch``, a helper that may not import media itself)."""
        from ._media import Histogram

        return Histogram(**kwargs)

    def _set_meta(self, field: str, value: Any) -> None:
        self._record(_spool.META, {field: value})

    @property
    def name(self) -> Optional[str]:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value
        self._set_meta("name", value)

    def finish(self, exit_code: int = 0, quiet: Optional[bool] = None) -> None:
        """Flush, wait for the upload (with a progress line) and say how the run ended and where it is.

        Called automatically at interpreter exit. When the server cannot be
        reached it gives up after ``settings.finish_timeout`` seconds without
        progress; the spool is kept for ``cairn sync``. A second call does nothing.
        """
        if self._finished:
            return
        self._finished = True
        quiet = self.settings.quiet if quiet is None else quiet
        for hook in self.__dict__.pop("_finish_hooks", ()):  # e.g. sync_tensorboard's last read
            try:
                hook()
            except Exception as exc:
                self._internal_error(exc)
        try:
            if self._pending:
                self._commit()
        except Exception as exc:
            self._internal_error(exc)
        if self._capture is not None:
            self._capture.stop()
            self._capture = None
        state = "finished" if exit_code == 0 else "failed"
        resume_file = self.__dict__.get("_resume_file")
        if resume_file and exit_code == 0:  # resume="auto": nothing left to resume
            try:
                os.remove(resume_file)
            except OSError:
                pass
        self._record(_spool.END, (int(exit_code), state))
        self._off = True
        if self._writer is not None:
            self._writer.close()
        if self._on_finish is not None:
            self._on_finish(self)
        process = self._process
        if process is None or self.dir is None:
            return
        self.url = process.finish(self, quiet=quiet, exit_code=int(exit_code))

    def _forked(self) -> None:
        """In a forked child: record nothing and never finish; the run is the parent's."""
        self._off = True
        self._finished = True
        self._capture = None
        self._in_fork = True

    def _warn_forked(self) -> None:
        """Say, once per process, that a forked child's logs are not recorded."""
        pid = os.getpid()
        self._warn(
            "fork",
            f"this is a forked process (pid {pid}) of the process that started run {self.id}"
            f" (pid {self._pid}); its logs are not recorded. To log from several processes,"
            f' call agent.init(id="{self.id}", shared=True) in each (see docs/distributed.md)',
            marker=("fork", str(pid)),
        )

    # -- failures ------------------------------------------------------------

    def _warn(self, key: str, message: str, marker: Optional[tuple[str, str]] = None) -> None:
        """Warn once per ``marker`` (the key and the message, unless given)."""
        if self.settings.strict:
            raise UsageError(message)
        marker = marker or (key, message)
        if marker in self._warned:
            return
        self._warned.add(marker)
        if self.dir:
            debug(self.dir, message)
        warnings.warn(f"cairn: {message}", AgentWarning, stacklevel=_user_stacklevel())

    def _internal_error(self, exc: BaseException) -> None:
        if self.settings.strict:
            raise exc
        if self.dir:
            debug(
                self.dir,
                "internal error:\n"
                + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            )
        marker = ("internal", type(exc).__name__)
        if marker not in self._warned:
            self._warned.add(marker)
            where = f" (details in {os.path.join(self.dir, 'debug.log')})" if self.dir else ""
            warnings.warn(
                f"cairn: internal error, training continues: {exc!r}{where}",
                AgentWarning,
                stacklevel=_user_stacklevel(),
            )

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            code = 0
        elif issubclass(exc_type, SystemExit):
            code = exit_status(exc.code)  # sys.exit(0) inside the block is a success
        else:
            code = 1
        self.finish(exit_code=code)

    def __repr__(self) -> str:
        return f"<Run {self.project}/{self.id} mode={self.mode}>"


def _noop(kind: int, body: bytes) -> None:
    return None


def exit_status(code: Any) -> int:
    """The process exit status ``SystemExit(code)`` gives: None is 0, an int itself, else 1.

    >>> exit_status(None), exit_status(3), exit_status("bad input")
    (0, 3, 1)
    """
    if code is None:
        return 0
    if isinstance(code, int):
        return int(code)
    return 1
