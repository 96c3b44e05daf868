"""The convenience layer: ``agent.init/log/...`` acting on the one current run."""

from __future__ import annotations

import atexit
import os
import sys
import threading
import warnings

from ._config import Config, Summary
from ._errors import AgentWarning
from ._run import Run, exit_status
from ._settings import Settings, resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union

_lock = threading.RLock()
_current: Optional[Run] = None
_hooks_installed = False
_failed = False
_exit_code: Optional[int] = None  # what the main thread passed to sys.exit()
_warned_no_run = False
_forked_from: Optional[Run] = None  # in a forked child: the parent's run, switched off


def current() -> Optional[Run]:
    return _current


def forget(run: Run) -> None:
    """No current run any more, if it was ``run``; each run calls this as it finishes."""
    global _current
    with _lock:
        if _current is run:
            _current = None


def _excepthook(kind: Any, value: Any, tb: Any) -> None:
    global _failed
    _failed = True
    _original_excepthook(kind, value, tb)


_original_excepthook = sys.excepthook


def _exit(*args: Any) -> Any:
    # Neither sys.excepthook nor an atexit hook sees a SystemExit, so the code
    # is recorded on the way in. Only the main thread's: sys.exit() in another
    # thread ends that thread, not the process.
    global _exit_code
    if threading.current_thread() is threading.main_thread():
        _exit_code = exit_status(args[0] if args else None)
    return _original_exit(*args)


_original_exit = sys.exit


def _at_exit() -> None:
    run = _current
    if run is not None:
        run.finish(exit_code=1 if _failed else (_exit_code or 0))


def _in_child() -> None:
    # A forked child (a DataLoader worker) must neither write into its
    # parent's spool nor finish its run at exit. Its log() calls say why they
    # are not recorded, once per process.
    global _current, _forked_from, _warned_no_run
    run = _current
    if run is not None:
        run._forked()
        _forked_from = run
    _current = None
    _warned_no_run = False


def _install_hooks() -> None:
    global _hooks_installed, _original_excepthook, _original_exit
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_at_exit)
    _original_excepthook = sys.excepthook
    sys.excepthook = _excepthook
    _original_exit = sys.exit
    sys.exit = _exit
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_in_child)


def init(
    project: Optional[str] = None,
    org: Optional[str] = None,
    name: Optional[str] = None,
    config: Any = None,
    tags: Optional[list[str]] = None,
    notes: Optional[str] = None,
    group: Optional[str] = None,
    job_type: Optional[str] = None,
    mode: Optional[str] = None,
    dir: Optional[str] = None,
    id: Optional[str] = None,
    resume: Optional[str] = None,
    settings: Union[Settings, dict[str, Any], None] = None,
    benchmark: Optional[str] = None,
    shared: Optional[bool] = None,
    label: Optional[str] = None,
    primary: Optional[bool] = None,
) -> Run:
    """Start tracking a run and make it the current one.

    ``mode`` is ``online`` (the default when an API key is known),
    ``offline`` (spool only; upload later with ``cairn sync``) or
    ``disabled`` (every call a no-op). A run already current is finished
    first. Use it as a context manager to mark the run failed on an
    exception.

    ``benchmark="owner/slug"`` enters the run in that benchmark when it
    finishes: the server scores it from the run's summary then.

    ``shared=True`` (W&B: ``settings={"mode": "shared"}``): every process
    of a distributed job logs to the run ``id``; ``label`` names this one
    (default: ``rank-<RANK>`` from torchrun, SLURM or MPI) and ``primary``
    says its finish finishes the run (default: rank 0). See docs/distributed.md.

    >>> import agent
    >>> with agent.init(project="demo", mode="disabled", config={"lr": 0.1}) as run:
    ...     agent.log({"loss": 0.5})
    ...     run.config.lr
    0.1
    """
    global _current, _forked_from
    from ._launch import start_run

    resolved = resolve(
        {
            "project": project,
            "org": org,
            "mode": mode,
            "dir": dir,
            "shared": shared,
            "label": label,
            "primary": primary,
        },
        settings,
    )
    with _lock:
        previous = _current
    if previous is not None:
        previous.finish()
    run = start_run(
        resolved,
        project=resolved.project,
        run_id=id,
        name=name,
        config=config,
        tags=tags,
        notes=notes,
        group=group,
        job_type=job_type,
        resume=resume,
        benchmark=benchmark,
        on_finish=forget,
    )
    with _lock:
        _current = run
        _forked_from = None  # a forked child with a run of its own logs to it
    if resolved.mode != "disabled":
        _install_hooks()
        if not resolved.quiet:
            where = run.url or run.dir
            _print_stderr(f"cairn: run {run.id} ({resolved.mode}) {where}")
    return run


def _print_stderr(message: str) -> None:
    from ._console import Tee

    stream = (
        sys.stderr._stream if isinstance(sys.stderr, Tee) else sys.stderr
    )  # not into our capture
    try:
        print(message, file=stream)
    except Exception:
        pass


def _no_run(what: str) -> None:
    global _warned_no_run
    if _forked_from is not None:
        _forked_from._warn_forked()
    elif not _warned_no_run:
        _warned_no_run = True
        warnings.warn(
            f"cairn: {what}() called before agent.init(); ignored", AgentWarning, stacklevel=3
        )


def log(data: dict[str, Any], step: Optional[int] = None, commit: bool = True) -> None:
    """Log a row of metrics to the current run (see ``Run.log``).

    >>> import agent
    >>> run = agent.init(project="demo", mode="disabled")
    >>> agent.log({"loss": 0.25, "val": {"acc": 0.9}})
    >>> agent.finish()
    """
    run = _current
    if run is None:
        _no_run("log")
        return
    run.log(data, step=step, commit=commit)


def save(path_or_glob: str, base_path: Optional[str] = None, policy: str = "live") -> list[str]:
    """Upload files of the current run (see ``Run.save``)."""
    run = _current
    if run is None:
        _no_run("save")
        return []
    return run.save(path_or_glob, base_path=base_path, policy=policy)


def define_metric(
    name: str, summary: Optional[str] = None, step_metric: Optional[str] = None
) -> None:
    """Choose the summary of a metric of the current run (see ``Run.define_metric``)."""
    run = _current
    if run is None:
        _no_run("define_metric")
        return
    run.define_metric(name, summary=summary, step_metric=step_metric)


def finish(exit_code: int = 0, quiet: Optional[bool] = None) -> None:
    """Finish the current run (see ``Run.finish``); a no-op when there is none."""
    run = _current
    if run is not None:
        run.finish(exit_code=exit_code, quiet=quiet)


_detached_config = Config()


def config() -> Config:
    run = _current
    return run.config if run is not None else _detached_config


def summary() -> Optional[Summary]:
    run = _current
    return run.summary if run is not None else None
