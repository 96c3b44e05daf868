"""The convenience layer: ``agent.init/log/...`` acting on the one current run."""

from __future__ import annotations

import atexit
import os
import sys
import threading
import warnings

from ._config import Config, Summary
from ._errors import AgentWarning, UsageError
from ._run import Run, exit_status
from ._settings import Settings, resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import IO, Any, Optional, Union

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
        if run in _others:
            _others.remove(run)


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
    for run in [_current, *_others]:
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
    for other in _others:  # reinit="create_new" runs are the parent's too
        other._forked()
    _others.clear()
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
    tags: Optional[Sequence[str]] = None,
    notes: Optional[str] = None,
    group: Optional[str] = None,
    job_type: Optional[str] = None,
    mode: Optional[str] = None,
    dir: Optional[str] = None,
    id: Optional[str] = None,
    resume: Union[bool, str, None] = None,
    settings: Union[Settings, dict[str, Any], None] = None,
    benchmark: Optional[str] = None,
    shared: Optional[bool] = None,
    label: Optional[str] = None,
    primary: Optional[bool] = None,
    *,
    entity: Optional[str] = None,
    config_exclude_keys: Optional[Sequence[str]] = None,
    config_include_keys: Optional[Sequence[str]] = None,
    allow_val_change: Optional[bool] = None,
    reinit: Union[bool, str, None] = None,
    save_code: Optional[bool] = None,
    force: Optional[bool] = None,
    anonymous: Optional[str] = None,
    resume_from: Optional[str] = None,
    fork_from: Optional[str] = None,
    tensorboard: Union[bool, str, None] = None,
    sync_tensorboard: Union[bool, str, None] = None,
    monitor_gym: Optional[bool] = None,
    magic: Any = None,
    fingerprint_exclude: Optional[Sequence[str]] = None,
    skip_if_done: bool = False,
    **unknown: Any,
) -> Run:
    """Start tracking a run and make it the current one.

    Every argument of W&B's ``wandb.init`` is taken, with W&B's meaning
    (``entity`` is Cairn's ``org``); pass them by keyword. ``mode`` is
    ``online`` (the default when an API key is known), ``offline`` (spool
    only; upload later with ``cairn sync``) or ``disabled`` (every call a
    no-op). A run already current is finished first (``reinit``). Use it as
    a context manager to mark the run failed on an exception.

    ``sync_tensorboard=True`` (or a log folder) logs what TensorBoard writers
    write during the run, at TensorBoard's steps (docs/importing.md).

    ``benchmark="owner/slug"`` enters the run in that benchmark when it
    finishes: the server scores it from the run's summary then.

    ``shared=True`` (W&B: ``settings={"mode": "shared"}``): every process
    of a distributed job logs to the run ``id``; ``label`` names this one
    (default: ``rank-<RANK>`` from torchrun, SLURM or MPI) and ``primary``
    says its finish finishes the run (default: rank 0). See docs/distributed.md.

    The run's fingerprint (code, config, data, environment) is computed
    here; ``fingerprint_exclude=["seed"]`` leaves config keys out of it, and
    ``skip_if_done=True`` ends the script (``AlreadyDone``, exit status 0)
    when a finished run of the project has the same one (docs/artifacts.md).

    >>> import agent
    >>> with agent.init(project="demo", mode="disabled", config={"lr": 0.1}) as run:
    ...     agent.log({"loss": 0.5})
    ...     run.config.lr
    0.1
    """
    global _current, _forked_from
    from . import _initargs
    from ._launch import auto_resume_id, start_run

    _initargs.warn_unsupported(
        resume_from=resume_from,
        fork_from=fork_from,
        sync_tensorboard=sync_tensorboard,
        tensorboard=tensorboard,
        monitor_gym=monitor_gym,
        magic=magic,
        unknown=unknown,
    )
    given = _initargs.with_wandb_env(
        {"id": id, "name": name, "notes": notes, "tags": tags, "group": group, "job_type": job_type, "resume": resume}
    )
    id, name, notes, tags = given["id"], given["name"], given["notes"], given["tags"]
    group, job_type, resume = given["group"], given["job_type"], given["resume"]
    if entity is not None and org is not None and entity.lower() != org.lower():
        raise UsageError(f"entity={entity!r} and org={org!r} name different organisations")
    how = _initargs.reinit_mode(reinit)
    resume_how = _initargs.resume_mode(resume)
    with _lock:
        previous = _current
    if previous is not None and how == "return_previous":
        return previous
    config_dict = _initargs.filter_config(
        _initargs.load_config(config), config_exclude_keys, config_include_keys
    )
    from ._sweep import from_environment

    swept = from_environment()
    if swept is not None:  # started by a sweep agent: its run id, project and parameters win (W&B's)
        id = id or swept["run_id"]
        project, org, entity = swept["project"] or project, swept["org"] or org, None
        config_dict.update(swept["params"])
    resolved = resolve(
        {
            "project": project,
            "org": org if org is not None else entity,
            "mode": mode,
            "dir": dir,
            "shared": shared,
            "label": label,
            "primary": primary,
        },
        _setup_settings if settings is None else settings,
    )
    if force and resolved.mode == "online" and not resolved.api_key:
        raise UsageError("force=True and no API key: run `cairn login` or set CAIRN_API_KEY")
    fingerprint = None
    if resolved.mode != "disabled":
        from ._fingerprint import at_init

        # Before any run starts: skip_if_done may end the script here.
        project_slug = (resolved.project or "uncategorized").lower()
        fingerprint = at_init(resolved, project_slug, config_dict, fingerprint_exclude, skip_if_done)
    if previous is not None and how == "finish_previous":
        previous.finish()
    resume_file = None
    if resume_how == "auto":
        resume_how = "allow"
        if id is None and resolved.mode != "disabled" and not resolved.shared:
            id, resume_file = auto_resume_id(resolved)
    run = start_run(
        resolved,
        project=resolved.project,
        run_id=id,
        name=name,
        config=config_dict,
        tags=list(tags) if tags else None,
        notes=notes,
        group=group,
        job_type=job_type,
        resume=resume_how,
        benchmark=benchmark,
        sweep=swept["id"] if swept is not None else None,
        on_finish=forget,
        fingerprint=fingerprint,
    )
    run.__dict__["_resume_file"] = resume_file
    run.__dict__["_sweep_path"] = swept["path"] if swept is not None else None
    with _lock:
        if how != "create_new" or _current is None or _current._finished:
            _current = run
        else:
            _others.append(run)  # W&B: a run of its own; agent.log still logs to the current one
        _forked_from = None  # a forked child with a run of its own logs to it
    if resolved.mode != "disabled":
        if sync_tensorboard or tensorboard:
            from ._tensorboard import follow

            follow(run, sync_tensorboard or tensorboard)
        _install_hooks()
        if save_code:
            from ._code import save_main

            save_main(run)
        if not resolved.quiet:
            _print_stderr(start_message(run))
    return run


_others: list[Run] = []  # runs of reinit="create_new" that are not the current one
_setup_settings: Union[Settings, dict[str, Any], None] = None


def setup(settings: Union[Settings, dict[str, Any], None] = None) -> None:
    """W&B's ``setup``: ``settings`` become the default of every later ``init`` in this process."""
    global _setup_settings
    _setup_settings = settings


def teardown(exit_code: Optional[int] = None) -> None:
    """W&B's ``teardown``: finish every run of this process."""
    for run in [_current, *_others]:
        if run is not None:
            run.finish(exit_code=exit_code or 0)
    _others.clear()


def start_message(run: Run) -> str:
    """What ``init`` prints: where to watch the run (online) or how to upload it (offline)."""
    label = run.name or run.id
    if run.mode == "online" and run.url:
        return f"cairn: run {label} started: {run.url}"
    if run.mode == "online":
        return f"cairn: run {label} started; its link is printed when it ends (spool: {run.dir})"
    return (
        f"cairn: run {label} started offline in {run.dir}\n"
        f"cairn: when it ends, upload it with `cairn sync {run.dir}`"
    )


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


def log(
    data: Optional[dict[str, Any]] = None,
    step: Optional[int] = None,
    commit: Optional[bool] = True,
) -> None:
    """Log a row of metrics to the current run (see ``Run.log``); ``log()`` commits the open row.

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


def save(
    glob_str: Optional[str] = None, base_path: Optional[str] = None, policy: str = "live"
) -> Union[list[str], bool]:
    """Upload files of the current run (see ``Run.save``)."""
    run = _current
    if run is None:
        _no_run("save")
        return []
    return run.save(glob_str, base_path=base_path, policy=policy)


def define_metric(
    name: str,
    step_metric: Optional[str] = None,
    step_sync: Optional[bool] = None,
    hidden: Optional[bool] = None,
    summary: Optional[str] = None,
    goal: Optional[str] = None,
    overwrite: Optional[bool] = None,
) -> None:
    """Choose the summary and x axis of a metric of the current run (see ``Run.define_metric``)."""
    run = _current
    if run is None:
        _no_run("define_metric")
        return
    run.define_metric(
        name,
        step_metric=step_metric,
        step_sync=step_sync,
        hidden=hidden,
        summary=summary,
        goal=goal,
        overwrite=overwrite,
    )


def finish(exit_code: Optional[int] = None, quiet: Optional[bool] = None) -> None:
    """Finish the current run (see ``Run.finish``); a no-op when there is none."""
    run = _current
    if run is not None:
        run.finish(exit_code=exit_code or 0, quiet=quiet)


def join(exit_code: Optional[int] = None, quiet: Optional[bool] = None) -> None:
    """W&B's older name of ``finish``."""
    finish(exit_code=exit_code, quiet=quiet)


def alert(title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
    """Send an alert from the current run (see ``Run.alert``)."""
    run = _current
    if run is None:
        _no_run("alert")
        return
    run.alert(title, text, level=level, wait_duration=wait_duration)


def watch(
    models: Any,
    criterion: Any = None,
    log: Optional[str] = "gradients",
    log_freq: int = 1000,
    idx: Optional[int] = None,
    log_graph: bool = False,
) -> None:
    """Log histograms of a PyTorch model's gradients/parameters (see ``Run.watch``)."""
    run = _current
    if run is None:
        _no_run("watch")
        return
    run.watch(models, criterion=criterion, log=log, log_freq=log_freq, idx=idx, log_graph=log_graph)


def unwatch(models: Any = None) -> None:
    run = _current
    if run is not None:
        run.unwatch(models)


def restore(
    name: str, run_path: Optional[str] = None, replace: bool = False, root: Optional[str] = None
) -> Optional[IO[str]]:
    """Download a file of the current run (or of ``run_path``) and open it (see ``Run.restore``)."""
    from ._extras import restore as _restore

    return _restore(name, run_path=run_path, replace=replace, root=root, run=_current)


def mark_preempting() -> None:
    run = _current
    if run is not None:
        run.mark_preempting()


_detached_config = Config()


def config() -> Config:
    run = _current
    return run.config if run is not None else _detached_config


def summary() -> Optional[Summary]:
    run = _current
    return run.summary if run is not None else None


def agent(
    sweep_id: str,
    function: Optional[Any] = None,
    entity: Optional[str] = None,
    project: Optional[str] = None,
    count: Optional[int] = None,
    *,
    org: Optional[str] = None,
) -> None:
    """Run a sweep's runs (W&B's ``wandb.agent``): ``function`` in this process, else the sweep's ``program``.

    ``sweep_id`` is ``org/project/id`` or the id alone (with ``project``
    and ``entity``, or their settings). Inside ``function``,
    ``agent.init()`` starts the run the server chose, with its parameters in
    ``run.config``. Runs until the sweep ends, or ``count`` runs.

    >>> import agent
    >>> def train():
    ...     with agent.init() as run:
    ...         agent.log({"loss": run.config.lr})
    >>> agent.agent("acme/demo/k3v9x0qa", function=train, count=2)  # doctest: +SKIP
    """
    from ._sweepagent import run_agent

    if function is not None and not callable(function):
        raise UsageError("function must be callable")
    run_agent(sweep_id, function=function, count=count, project=project, org=org or entity, finish=_finish_if_current)


def _finish_if_current(run_id: str, exit_code: int) -> None:
    """After a sweep's function: its run, if it left it open, is finished."""
    run = current()
    if run is not None and run.id == run_id:
        run.finish(exit_code=exit_code)
