"""``agent.init(sync_tensorboard=True)``: follow the TensorBoard event files a run writes.

A daemon thread of the training process looks for event files every
``INTERVAL`` seconds (written since the run started, under the working
directory, or under the folder given as ``sync_tensorboard="runs/exp"``),
reads what is new with TensorBoard's own loader (``_importers._tensorboard``)
and logs it with ``run.log(row, step=<TensorBoard's step>)``, as W&B does:
scalars, histograms and images keep their tags; with several event folders,
the tags of each but the first are prefixed with the folder's name
(``validation/epoch_loss``). The thread holds the GIL only while it parses
new events (nothing while the files do not change); the upload is the
background process's, as for every ``log()``.

Rows are logged in step order: a folder's values wait until every folder
has reached their step, and the rest is logged when the run finishes.
"""

from __future__ import annotations

import os
import threading
import time

from ._importers._tensorboard import DirReader, is_event_file, rows

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

    from ._run import Run

INTERVAL = 2.0
MAX_DEPTH = 4  # how deep under the watched folder event folders are looked for
_SKIP = ("cairn", "wandb", "node_modules", "__pycache__", "site-packages")


class Follower:
    def __init__(self, run: Run, root: str, interval: float = INTERVAL) -> None:
        self.run = run
        self.root = os.path.abspath(root)
        self.interval = interval
        self.since = time.time() - 5.0  # files written before the run are another run's
        self.readers: dict[str, DirReader] = {}
        self.first: Optional[str] = None
        self.waiting: list[tuple[int, float, str, Any]] = []
        self.reached: dict[str, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="cairn-tensorboard", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll(final=False)
            except Exception as exc:  # never the training's problem
                self.run._internal_error(exc)

    def finish(self) -> None:
        """The last read, before the run's end is recorded."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=30.0)
        try:
            self.poll(final=True)
        except Exception as exc:
            self.run._internal_error(exc)

    def _discover(self) -> None:
        base_depth = self.root.rstrip(os.sep).count(os.sep)
        for here, dirs, files in os.walk(self.root):
            depth = here.count(os.sep) - base_depth
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP) if depth < MAX_DEPTH else []
            if here in self.readers:
                continue
            fresh = False
            for name in files:
                if is_event_file(name):
                    try:
                        fresh = fresh or os.path.getmtime(os.path.join(here, name)) >= self.since
                    except OSError:
                        pass
            if fresh:
                self.readers[here] = DirReader(here, self._prefix(here))

    def _prefix(self, folder: str) -> str:
        if self.first is None:
            self.first = folder
            return ""
        rel = os.path.relpath(folder, os.path.dirname(self.first))
        name = rel if not rel.startswith(os.pardir) else os.path.basename(folder)
        return name.replace(os.sep, "/") + "/"

    def poll(self, final: bool) -> None:
        with self._lock:
            self._discover()
            for folder, reader in self.readers.items():
                values = reader.read()
                if values:
                    self.reached[folder] = max(self.reached.get(folder, 0), max(v[0] for v in values))
                    self.waiting.extend(values)
            if not self.waiting:
                return
            if final:
                ready, self.waiting = self.waiting, []
            else:
                # A step is complete once every folder that logs has gone past it.
                upto = min(self.reached.values())
                ready = [v for v in self.waiting if v[0] < upto]
                self.waiting = [v for v in self.waiting if v[0] >= upto]
            for step, _, row in rows(ready):
                self.run.log(row, step=step)


def follow(run: Run, sync_tensorboard: Any) -> Optional[Follower]:
    """Start following for ``init(sync_tensorboard=...)``: True (the working directory) or a folder."""
    if not sync_tensorboard or run.dir is None:
        return None
    root = sync_tensorboard if isinstance(sync_tensorboard, (str, os.PathLike)) else os.getcwd()
    follower = Follower(run, os.fspath(root))
    run.__dict__.setdefault("_finish_hooks", []).append(follower.finish)
    follower.start()
    return follower
