"""The background process of a run: ``python -m agent._service <run_dir> <parent_pid>``.

It replays the spool the training process writes, samples system metrics,
snapshots saved files, uploads everything (a second thread) and, when the
training process ends or dies, finishes the run. ``cairn sync`` runs the
same code in the foreground for a run whose process is gone.
"""

from __future__ import annotations

import glob as globlib
import marshal
import os
import sys
import threading
import time
import traceback

from . import _spool
from ._model import Model
from ._state import STATUS, debug, refusals_note, write_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

try:
    import fcntl
except ImportError:  # Windows: no lock, no concurrent sync protection
    fcntl = None  # type: ignore[assignment]

LOCK = ".lock"


def lock_run(run_dir: str) -> Optional[Any]:
    """Hold the run's lock (one process per run at a time), or ``None`` if taken."""
    fh = open(os.path.join(run_dir, LOCK), "a+")
    if fcntl is None:
        return fh
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        return None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    return fh


class Service:
    def __init__(
        self,
        run_dir: str,
        parent_pid: Optional[int],
        *,
        online: Optional[bool] = None,
        base_url: Optional[str] = None,
        api_key: Optional[str] = None,
        org: Optional[str] = None,
    ) -> None:
        self.run_dir = run_dir
        self.parent_pid = parent_pid
        self.model = Model(run_dir)
        spec = self.model.spec
        self.settings: dict[str, Any] = spec.get("settings") or {}
        self.online = (spec.get("mode") == "online") if online is None else online
        self.base_url = base_url or spec.get("base_url") or "http://127.0.0.1:8000"
        self.api_key = api_key if api_key is not None else os.environ.get("CAIRN_API_KEY")
        self.org = org or spec.get("org")
        self.reader = _spool.Reader(run_dir, "spool", self.model.cursor)
        self.stop = threading.Event()
        self.uploader: Any = None
        self.final_at: Optional[float] = None
        self.status: dict[str, Any] = {}
        self._status_written = 0.0

    # -- the training process ---------------------------------------------------------

    def parent_alive(self) -> bool:
        if self.parent_pid is None:
            return False
        return os.getppid() == self.parent_pid

    def writer_done(self) -> bool:
        return self.model.ended is not None or not self.parent_alive()

    # -- once per run ---------------------------------------------------------------

    def capture_environment(self, nvml: Any) -> None:
        from . import _system

        model = self.model
        if model.system_info is not None:
            return
        spec = model.spec
        settings = self.settings
        info: dict[str, Any] = {}
        if settings.get("capture_system_info", True):
            info = _system.system_info(spec, nvml)
        cwd = spec.get("cwd") or os.getcwd()
        if settings.get("capture_git", True):
            git = _system.git_info(cwd)
            if git is not None:
                info["git"] = git
                if settings.get("capture_diff", True) and git.get("dirty"):
                    diff = _system.git_diff(cwd)
                    if diff:
                        model.add_file("code/diff.patch", diff.encode("utf-8", "replace"))
        if settings.get("capture_requirements", True):
            try:
                model.add_file("requirements.txt", _system.requirements().encode())
            except Exception as exc:
                debug(self.run_dir, f"requirements: {exc!r}")
        with model.lock:
            model.system_info = info
            model.dirty = True

    # -- files ------------------------------------------------------------------------

    def snapshot(self, policies: tuple) -> None:
        for pattern, policy, base in list(self.model.saves):
            if policy not in policies:
                continue
            for path in sorted(globlib.glob(pattern, recursive=True)):
                if os.path.isfile(path):
                    try:
                        self.model.snapshot_file(path, base)
                    except OSError as exc:
                        debug(self.run_dir, f"save {path}: {exc!r}")

    # -- the loop -----------------------------------------------------------------------

    def write_status(self, phase: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._status_written < 0.1:
            return
        self._status_written = now
        up = self.uploader
        status = {
            "phase": phase,
            "mode": "online" if self.online else "offline",
            "pid": os.getpid(),
            "url": self.model.upload.get("url"),
            "name": self.model.upload.get("name"),
            "uploaded": bool(self.model.upload.get("finished")),
            "pending": up.pending_records() if up is not None else 0,
            "acked": sum(int(v) for v in self.model.upload["acked"].values()),
            "progress": up.progress if up is not None else 0,
            "error": (up.fatal or up.error) if up is not None else None,
            "refused": dict(self.model.upload.get("refused") or {}),
        }
        if status != self.status or force:
            self.status = status
            write_json(os.path.join(self.run_dir, STATUS), status)

    def run(self) -> int:
        """Run until the run is finished (and uploaded, when online). Returns an exit status."""
        model = self.model
        from . import _system

        nvml = _system._nvml() if self.settings.get("capture_system_metrics", True) else None
        try:
            self.capture_environment(nvml)
        except Exception as exc:
            debug(self.run_dir, f"environment capture failed: {exc!r}")
        sampler = None
        system_writer = None
        interval = max(1.0, float(self.settings.get("system_interval") or 10.0))
        if self.parent_pid is not None and self.settings.get("capture_system_metrics", True):
            try:
                sampler = _system.Sampler(self.parent_pid, model.spec.get("cwd") or "/", nvml)
                system_writer = _spool.FileWriter(self.run_dir, "system")
            except Exception as exc:
                debug(self.run_dir, f"system metrics off: {exc!r}")
        # Replay what is already there first: the run is created with it.
        model.apply(self.reader.read(max_records=5000, writer_done=self.writer_done()))
        self.snapshot(("now",))
        model.save()
        thread = None
        if self.online:
            from ._uploader import Uploader

            self.uploader = Uploader(
                model,
                base_url=self.base_url,
                api_key=self.api_key,
                org=self.org,
                writer_done=self.writer_done,
            )
            thread = threading.Thread(
                target=self.uploader.run, args=(self.stop,), name="cairn-upload", daemon=True
            )
            thread.start()
        if model.final:
            self.final_at = time.monotonic()
        next_sample = time.monotonic() + min(interval, 2.0)
        next_live = time.monotonic() + 2.0
        linger = float(self.settings.get("linger_timeout") or 300.0)
        last_save = 0.0
        code = 0
        crashed = False
        while True:
            done = self.writer_done()
            records = self.reader.read(max_records=5000, writer_done=done)
            model.apply(records)
            for kind, _, _ in records:
                if kind == _spool.FILE:
                    self.snapshot(("now",))
                    break
            now = time.monotonic()
            if not records and done and not model.final:
                if model.ended is None:
                    model.ended = {"exit_code": None, "state": "crashed"}
                    crashed = True
                    debug(
                        self.run_dir, "the training process is gone: finishing the run as crashed"
                    )
                self.snapshot(("end", "live"))
                model.final = True
                self.final_at = now
                model.save()
            if (
                sampler is not None
                and system_writer is not None
                and now >= next_sample
                and not model.final
            ):
                next_sample = now + interval
                try:
                    data = sampler.sample()
                    system_writer.append(
                        bytes((_spool.SYSTEM,)) + marshal.dumps((time.time(), data))
                    )
                    with model.lock:
                        model.system_count += 1
                except Exception as exc:
                    debug(self.run_dir, f"system sample: {exc!r}")
            if now >= next_live and not model.final:
                next_live = now + 2.0
                self.snapshot(("live",))
            if model.dirty and (now - last_save > 0.25 or model.final):
                model.save()
                last_save = now
            if model.final:
                if not self.online or (self.uploader is not None and self.uploader.done):
                    break
                if self.final_at is not None and now - self.final_at > linger:
                    debug(self.run_dir, "giving up uploading for now; `cairn sync` will finish it")
                    code = 3
                    break
            self.write_status("finishing" if model.final else "running")
            if not records or len(records) < 5000:
                self.stop.wait(0.02 if model.final or model.ended else 0.05)
        self.stop.set()
        if thread is not None:
            thread.join(timeout=5.0)
        if system_writer is not None:
            system_writer.close()
        model.save()
        self.write_status("done" if code == 0 else "stopped", force=True)
        if crashed and self.parent_pid is not None:
            self.say_crashed(code == 0)
        return code

    def say_crashed(self, uploaded: bool) -> None:
        """Tell the training process's terminal, if it had one, that its run crashed.

        Nobody else can: the process died without finishing the run (killed,
        ``os._exit``), so its own ``finish`` never printed anything.
        """
        tty = self.model.spec.get("tty")
        if not isinstance(tty, str) or not tty:
            return
        spec = self.model.spec
        name = self.model.upload.get("name") or spec.get("id")
        url = self.model.upload.get("url")
        where = (
            url
            if self.online and uploaded and url
            else f"saved in {self.run_dir}; upload it with `cairn sync {self.run_dir}`"
        )
        message = (
            f"cairn: run {name} crashed: the training process (pid {self.parent_pid})"
            f" ended without finishing it: {where}\n"
        )
        try:
            fd = os.open(tty, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return
        try:
            os.write(fd, message.encode("utf-8", "replace"))
        except OSError:
            pass
        finally:
            os.close(fd)


def main(argv: Optional[list] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    run_dir, parent_pid = args[0], int(args[1])
    lock = lock_run(run_dir)
    if lock is None:
        debug(run_dir, "another process holds the run; exiting")
        return 2
    try:
        os.nice(5)  # training comes first
    except (AttributeError, OSError):
        pass
    try:
        return Service(run_dir, parent_pid).run()
    except Exception:
        debug(run_dir, "background process failed:\n" + traceback.format_exc())
        return 1


if __name__ == "__main__":
    sys.exit(main())


def find_runs(root: str) -> list[str]:
    """The run folders under ``root`` (a ``cairn`` folder, or the folder holding one)."""
    candidates = [root, os.path.join(root, "cairn")]
    found: list[str] = []
    for base in candidates:
        if os.path.isfile(os.path.join(base, "spec.json")):
            return [base]
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        for name in names:
            path = os.path.join(base, name)
            if name.startswith("run-") and os.path.isfile(os.path.join(path, "spec.json")):
                found.append(path)
        if found:
            break
    return found


def sync_run(
    run_dir: str,
    *,
    base_url: str,
    api_key: Optional[str],
    org: Optional[str],
    timeout: float = 60.0,
) -> tuple[bool, str]:
    """Upload what a run's spool holds and the server lacks, then finish it there.

    Idempotent: what the server acknowledged is never sent again, and the
    server stores a record offered twice once. Returns ``(ok, message)``.
    """
    lock = lock_run(run_dir)
    if lock is None:
        return False, "in use by its background process (still uploading); try again later"
    try:
        service = Service(run_dir, None, online=True, base_url=base_url, api_key=api_key, org=org)
        if service.model.upload.get("finished") and service.model.final:
            return True, "already synced"
        service.settings = dict(
            service.settings, linger_timeout=timeout, capture_system_metrics=False
        )
        code = service.run()
        note = refusals_note(service.model.upload.get("refused"), run_dir)
        if code == 0:
            synced = f"synced {service.model.upload.get('url') or ''}".strip()
            return True, f"{synced}\n{note}" if note else synced
        error = (
            service.uploader.fatal or service.uploader.error if service.uploader else "not uploaded"
        )
        return False, f"not finished: {error}"
    finally:
        lock.close()
