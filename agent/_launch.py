"""Starting a run: its folder, its background process, and waiting for it at the end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time

from . import _spool
from ._errors import AgentError, NotFound, UsageError
from ._run import Run
from ._settings import Settings
from ._state import SPEC, STATUS, debug, read_json, refusals_note, write_json
from ._values import as_mapping, jsonable
from ._writer import shared_run_id, writer_identity
from .util import generate_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Optional

RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
RESUME = ("allow", "must", "never")


def new_run_id() -> str:
    return generate_id(8)


RESUME_FILE = "resume.json"


def auto_resume_id(settings: Settings) -> tuple[str, str]:
    """``resume="auto"`` (or True) without an id: the run an earlier session here left unfinished.

    Like W&B's: the id is kept in ``<dir>/cairn/resume.json`` until the run
    finishes without an error. Returns the id to use and the file's path.
    """
    path = os.path.join(_run_root(settings), RESUME_FILE)
    found = (read_json(path) or {}).get("run_id")
    run_id = found if isinstance(found, str) and RUN_ID.match(found) else new_run_id()
    write_json(path, {"run_id": run_id})
    return run_id, path


def run_url(settings: Settings, project: str, run_id: str) -> Optional[str]:
    if not settings.org:
        return None
    return f"{settings.base_url}/{settings.org}/{project}/runs/{run_id}"


def _run_root(settings: Settings) -> str:
    root = os.path.join(os.path.abspath(settings.dir or os.getcwd()), "cairn")
    try:
        os.makedirs(root, exist_ok=True)
        return root
    except OSError:
        import tempfile

        root = os.path.join(tempfile.gettempdir(), "cairn")
        os.makedirs(root, exist_ok=True)
        return root


def _warn_other_writers(run_id: str, others: Any) -> None:
    """A run not shared that another live process writes to: say so, and how to share it."""
    if not isinstance(others, list) or not others:
        return
    who = ", ".join(
        f"pid {w.get('pid')} on {w.get('host') or '?'}" for w in others[:3] if isinstance(w, dict)
    )
    import warnings

    warnings.warn(
        f"cairn: run {run_id} is being written by another live process ({who}). Nothing either "
        "process logs is lost, but their rows interleave in one run. To log from several processes "
        "on purpose pass shared=True to agent.init in each (docs/distributed.md); otherwise give "
        "this run another id.",
        stacklevel=4,
    )


def _resume_remote(
    settings: Settings, project: str, run_id: str, resume: str, body: dict[str, Any]
) -> Optional[dict[str, Any]]:
    """Create or resume the run now, to learn where its history stopped."""
    from . import _http

    s = _http.session(settings.api_key)
    if not settings.org:
        viewer = _http.request(s, "GET", f"{settings.base_url}/api/v1/viewer", timeout=10.0).json()
        settings.org = viewer.get("default_org") or None
        if not settings.org:
            return None
    url = f"{settings.base_url}/api/v1/projects/{settings.org}/{project}/runs/{run_id}"
    response = _http.request(
        s, "PUT", url, timeout=10.0, ok=(200, 201), **_http.json_body(dict(body, resume=resume))
    )
    result = response.json()
    if not isinstance(result, dict):
        return None
    result["_resumed"] = response.status_code == 200  # 201: created now
    return result


def _declared(writer: dict[str, Any]) -> dict[str, Any]:
    """The writer as the server is told of it."""
    return {k: writer[k] for k in ("id", "label", "host", "pid", "primary", "shared")}


def _local_last_step(root: str, run_id: str) -> Optional[int]:
    """The last step an earlier local session of this run logged (its spool), if any."""
    last: Optional[int] = None
    for name in sorted(os.listdir(root)):
        if not name.endswith("-" + run_id):
            continue
        state = read_json(os.path.join(root, name, "state.json")) or {}
        step = (state.get("scan") or {}).get("last_step")
        if isinstance(step, int) and (last is None or step > last):
            last = step
    return last


def _new_run_dir(root: str, run_id: str) -> str:
    """A folder of this session's own: a run resumed within the same second gets ``_2``."""
    stamp = time.strftime("%Y%m%d_%H%M%S")
    n = 1
    while True:
        name = f"run-{stamp}-{run_id}" if n == 1 else f"run-{stamp}_{n}-{run_id}"
        path = os.path.join(root, name)
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            n += 1


def start_run(
    settings: Settings,
    *,
    project: Optional[str],
    run_id: Optional[str],
    name: Optional[str],
    config: Any,
    tags: Optional[list[str]],
    notes: Optional[str],
    group: Optional[str],
    job_type: Optional[str],
    resume: Optional[str],
    benchmark: Optional[str] = None,
    sweep: Optional[str] = None,
    on_finish: Optional[Callable[[Run], None]] = None,
    fingerprint: Optional[dict[str, Any]] = None,
) -> Run:
    """Start a run: check the arguments, make its folder and start its background process.

    ``on_finish`` is passed to the ``Run``: it is called as the run finishes.
    """
    project = (project or settings.project or "uncategorized").lower()
    if not SLUG.match(project):
        raise UsageError(f"project must match {SLUG.pattern}, not {project!r}")
    if settings.org is not None:
        settings.org = settings.org.lower()
        if not SLUG.match(settings.org):
            raise UsageError(f"org must match {SLUG.pattern}, not {settings.org!r}")
    if resume is not None and resume not in RESUME:
        raise UsageError(f"resume must be one of {', '.join(RESUME)}, not {resume!r}")
    if resume == "must" and not run_id:
        raise UsageError('resume="must" needs the id of the run to resume')
    if benchmark is not None and (not isinstance(benchmark, str) or benchmark.count("/") != 1):
        raise UsageError(f'benchmark is "owner/slug", not {benchmark!r}')
    if run_id is not None and not RUN_ID.match(run_id):
        raise UsageError(f"id must match {RUN_ID.pattern}, not {run_id!r}")
    config_dict = as_mapping(config)
    if settings.mode == "disabled":
        run = Run.disabled(config_dict, on_finish=on_finish)
        run.settings = settings
        run.org = settings.org
        run._started(notes=notes, tags=tags, group=group, job_type=job_type)
        return run

    identity = writer_identity(shared=settings.shared, label=settings.label, primary=settings.primary)
    if settings.shared and run_id is None:
        # Every rank must name the same run: the launcher's job id is one they all see.
        run_id = shared_run_id()
        if run_id is None:
            raise UsageError("shared=True needs the run's id: pass the same id= in every process")
    resuming = run_id is not None
    run_id = run_id or new_run_id()
    root = _run_root(settings)
    run_dir = _new_run_dir(root, run_id)

    meta: dict[str, Any] = {
        "name": name,
        "tags": list(tags) if tags else None,
        "notes": notes,
        "group": group,
        "job_type": job_type,
        # Sent with the run's create: the server enters the run when it finishes.
        "benchmark": benchmark,
        # Sent with the run's create: the sweep's trial of this id takes the run (apps/sweeps).
        "sweep": sweep,
    }
    meta = {k: v for k, v in meta.items() if v is not None}
    step = 0
    resumed = False
    url = run_url(settings, project, run_id)
    if resuming:
        last_step: Optional[int] = None
        if settings.mode == "online":
            try:
                remote = _resume_remote(
                    settings,
                    project,
                    run_id,
                    resume or "allow",
                    dict(meta, config=jsonable(config_dict), writer=_declared(identity)),
                )
                if remote is not None:
                    # A shared run's ranks each count their own steps; so do the ranks of a
                    # job that share a run id without shared=True, when another is still
                    # writing (otherwise a rank that opens after another's first upload
                    # would take that rank's last step as its floor and refuse its own).
                    concurrent = bool(remote.get("other_writers")) and identity["rank"] is not None
                    last_step = None if settings.shared or concurrent else remote.get("last_step")
                    url = remote.get("url") or url
                    resumed = bool(remote.get("_resumed"))
                    if not settings.shared:
                        _warn_other_writers(run_id, remote.get("other_writers"))
            except NotFound:
                raise UsageError(f"run {run_id} does not exist and resume='must'") from None
            except AgentError as exc:
                if getattr(exc, "status", None) == 409:
                    raise UsageError(f"run {run_id} exists and resume='never'") from None
                debug(run_dir, f"resume: cannot ask the server ({exc}); using the local spool")
                last_step = _local_last_step(root, run_id)
        elif not settings.shared:
            last_step = _local_last_step(root, run_id)
        if isinstance(last_step, int):
            step = last_step + 1
            resumed = True

    spec = {
        "version": 1,
        "id": run_id,
        "project": project,
        "org": settings.org,
        "base_url": settings.base_url,
        "mode": settings.mode,
        "resume": resume or "allow",
        "meta": meta,
        "config": jsonable(config_dict),
        "settings": {k: v for k, v in settings.to_dict().items() if k != "api_key"},
        "program": sys.argv[0] if sys.argv else "",
        "args": list(sys.argv[1:]),
        "cwd": os.getcwd(),
        "pid": os.getpid(),
        # Where the background process says the run crashed, if this process dies unfinished.
        "tty": _stderr_tty(),
        "started_at": time.time(),
        "first_step": step,
        "writer": _declared(identity),
    }
    if fingerprint is not None:
        spec["fingerprint"] = fingerprint  # sent by the background process once the run exists
    write_json(os.path.join(run_dir, SPEC), spec)
    writer = _spool.MappedWriter(run_dir)
    service = Service(run_dir, settings)
    service.start()
    # The run starts capturing the console (settings.capture_console) itself.
    run = Run(
        settings=settings,
        run_id=run_id,
        project=project,
        run_dir=run_dir,
        config=config_dict,
        step=step,
        url=url,
        name=name,
        writer=writer,
        process=service,
        on_finish=on_finish,
    )
    run._started(notes=notes, tags=tags, group=group, job_type=job_type, resumed=resumed)
    if settings.shared and settings.rank_zero_only and identity["rank"] not in (0, None):
        run.log = _log_nothing  # type: ignore[method-assign,assignment]
    return run


def _stderr_tty() -> Optional[str]:
    try:
        return os.ttyname(sys.__stderr__.fileno()) if sys.__stderr__ is not None else None
    except (OSError, ValueError, AttributeError):
        return None  # not a terminal (a pipe, a file, a notebook)


def _log_nothing(data: Any, step: Any = None, commit: Any = True) -> None:
    """log() of a rank other than 0 with rank_zero_only: its system metrics and console still go."""


class Service:
    """The background process of one run, and a watchdog that restarts it if it dies."""

    MAX_RESTARTS = 10

    def __init__(self, run_dir: str, settings: Settings) -> None:
        self.run_dir = run_dir
        self.settings = settings
        self.proc: Optional[subprocess.Popen] = None
        self.restarts = 0
        self.finishing = False
        self._stop = threading.Event()
        self._watchdog: Optional[threading.Thread] = None

    def start(self) -> None:
        if not sys.executable:
            debug(
                self.run_dir,
                "no sys.executable: cannot start the background process; run `cairn sync` later",
            )
            return
        self._spawn()
        self._watchdog = threading.Thread(target=self._watch, name="cairn-watchdog", daemon=True)
        self._watchdog.start()

    def _spawn(self) -> None:
        env = dict(os.environ)
        package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
        if self.settings.api_key:
            env["CAIRN_API_KEY"] = self.settings.api_key
        env.pop("PYTHONSTARTUP", None)
        with open(os.path.join(self.run_dir, "debug.log"), "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "agent._service", self.run_dir, str(os.getpid())],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                close_fds=True,
                # Its own session: Ctrl+C in the terminal must not kill it.
                start_new_session=True,
            )

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            proc = self.proc
            if proc is None or self.finishing or proc.poll() is None:
                continue
            if self.restarts >= self.MAX_RESTARTS:
                debug(
                    self.run_dir,
                    "background process keeps dying; giving up (run `cairn sync` later)",
                )
                return
            self.restarts += 1
            debug(self.run_dir, f"background process exited ({proc.returncode}); restarting it")
            try:
                self._spawn()
            except Exception as exc:
                debug(self.run_dir, f"cannot restart the background process: {exc!r}")

    def stop_watching(self) -> None:
        self.finishing = True
        self._stop.set()

    def wait(self, timeout: float, progress: bool) -> dict[str, Any]:
        """Wait until the background process is done, or makes no progress for ``timeout`` s."""
        status_path = os.path.join(self.run_dir, STATUS)
        start = last_progress = time.monotonic()
        last_key: Any = None
        last_print = 0.0
        restarted = False
        printed = False
        status: dict[str, Any] = {}
        while True:
            status = read_json(status_path) or status
            if status.get("phase") == "done":
                break
            now = time.monotonic()
            key = (status.get("progress"), status.get("acked"))
            if key != last_key:
                last_key = key
                last_progress = now
            if self.proc is not None and self.proc.poll() is not None:
                if restarted or not sys.executable:
                    break
                restarted = True
                debug(self.run_dir, "background process gone while finishing; restarting it")
                self._spawn()
                last_progress = now
            elif self.proc is None:
                break
            if now - last_progress > timeout:
                break
            if progress and now - start > 1.0 and now - last_print > 0.5:
                last_print = now
                printed = True
                pending = status.get("pending", "?")
                sys.stderr.write(f"\rcairn: uploading, {pending} records left  ")
                sys.stderr.flush()
            time.sleep(0.02)
        if printed:
            sys.stderr.write("\n")
        return status

    def finish(self, run: Run, quiet: bool, exit_code: int = 0) -> Optional[str]:
        """Wait for the upload of the finished ``run``, say how it ended and where it is.

        Returns the run's URL: the server's once it answered, else the one
        ``run`` had. What the server refused is said even when ``quiet``: never silently.
        """
        self.stop_watching()
        status = self.wait(run.settings.finish_timeout, progress=not quiet)
        url: Optional[str] = status.get("url") or run.url
        if isinstance(status.get("name"), str) and not run.name:
            run._name = status["name"]  # the server named it
        if not quiet:
            print(end_message(run, status, url, exit_code), file=sys.stderr)
        note = refusals_note(status.get("refused"), self.run_dir)
        if note:
            print(note, file=sys.stderr)
        return url


def end_message(run: Run, status: dict[str, Any], url: Optional[str], exit_code: int) -> str:
    """What ``finish`` prints: how the run ended (finished, failed with its code) and where it is."""
    how = "finished" if exit_code == 0 else f"failed (exit code {exit_code})"
    label = run.name or run.id
    if status.get("phase") == "done":
        if run.mode == "online" and status.get("uploaded"):
            return f"cairn: run {label} {how}: {url}"
        return (
            f"cairn: run {label} {how}, saved offline in {run.dir}\n"
            f"cairn: upload it with `cairn sync {run.dir}`"
        )
    error = status.get("error") or "no progress"
    return (
        f"cairn: run {label} {how}, but could not finish uploading it ({error}).\n"
        f"cairn: nothing is lost: the run is kept in {run.dir}; the background process keeps\n"
        f"cairn: trying for {int(run.settings.linger_timeout)} s, or upload it with `cairn sync {run.dir}`"
    )
