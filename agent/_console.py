"""Console capture: stdout and stderr tee'd to the spool, the terminal untouched."""

from __future__ import annotations

import sys
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional, TextIO

MAX_LINE = 64 * 1024


def _readable(text: str) -> str:
    """What a terminal shows of a line that carriage returns rewrote (tqdm bars)."""
    if "\r" not in text:
        return text
    parts = [part for part in text.split("\r") if part]
    return parts[-1] if parts else ""


class Tee:
    """Wraps a text stream: writes go through unchanged and, as lines, to ``emit``."""

    def __init__(self, stream: TextIO, name: str, emit: Callable[[float, str, str], None]) -> None:
        self._stream = stream
        self._name = name
        self._emit = emit
        self._partial: list[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        try:
            self._capture(text)
        except Exception:  # the console must keep working whatever happens here
            pass
        return written

    def _capture(self, text: str) -> None:
        if type(text) is not str or not text:
            return
        with self._lock:
            if "\n" not in text:
                self._partial.append(text)
                if len(self._partial) > 1000:  # a bar redrawn with \r only: keep its last state
                    self._partial = [_readable("".join(self._partial))[-MAX_LINE:]]
                return
            lines = text.split("\n")
            lines[0] = "".join(self._partial) + lines[0]
            rest = lines.pop()  # after the last newline: an unfinished line
            self._partial = [rest] if rest else []
            now = time.time()
            for line in lines:
                self._emit(now, self._name, _readable(line)[:MAX_LINE])

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush_partial(self) -> None:
        with self._lock:
            if self._partial:
                text = _readable("".join(self._partial))
                self._partial = []
                if text:
                    self._emit(time.time(), self._name, text[:MAX_LINE])

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class Capture:
    """Installs the tees on ``sys.stdout`` and ``sys.stderr``, and removes them."""

    def __init__(self, emit: Callable[[float, str, str], None]) -> None:
        self._emit = emit
        self._out: Optional[Tee] = None
        self._err: Optional[Tee] = None

    def start(self) -> None:
        if sys.stdout is not None:
            self._out = Tee(sys.stdout, "stdout", self._emit)
            sys.stdout = self._out
        if sys.stderr is not None:
            self._err = Tee(sys.stderr, "stderr", self._emit)
            sys.stderr = self._err

    def stop(self) -> None:
        for tee, attr in ((self._out, "stdout"), (self._err, "stderr")):
            if tee is None:
                continue
            tee.flush_partial()
            # Only unwrap what is still ours: someone may have wrapped us since.
            if getattr(sys, attr) is tee:
                setattr(sys, attr, tee._stream)
        self._out = self._err = None
