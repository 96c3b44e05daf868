"""The on-disk spool: append-only segment files of framed records.

Each record is framed as ``[length u32 LE][crc32 u32 LE][payload]``; the
payload is one kind byte followed by the record, ``marshal``-encoded (plain
Python types only, format 4, readable by every Python 3.4+). A length of
zero marks the end of what was written: segments are pre-allocated and
zero-filled. A frame whose length overruns the file or whose checksum does
not match is a torn tail (the writer died mid-record) and is never decoded.

The training process writes the ``spool-NNNNNN.bin`` segments through a
shared memory map, so a record is in the kernel's page cache, and survives
the process being killed, as soon as ``log()`` returns. The background
process appends its own records (system metrics) to ``system-NNNNNN.bin``.
"""

from __future__ import annotations

import mmap
import os
import re
import struct
import sys
import threading
import zlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Optional

HEADER = struct.Struct("<II")
HEADER_SIZE = HEADER.size
SEGMENT_SIZE = 4 << 20
MAX_RECORD = 256 << 20

# Record kinds (the payload's first byte).
HISTORY = 0x68  # h: (step, time, data)
CONSOLE = 0x63  # c: (time, stream, line)
CONFIG = 0x43  # C: {key: value} merged into the config
SUMMARY = 0x53  # S: {key: value} set by the user (None removes)
METRIC = 0x44  # D: (name, summary, step_metric)
FILE = 0x46  # F: (glob, policy, base_dir)
META = 0x4D  # M: {"name"|"notes"|"tags"|"group"|"job_type": value}
END = 0x45  # E: (exit_code, state)
MEDIA = 0x6D  # m: (path, sha256, size) of a media file written under files/
ALERT = 0x41  # A: (id, time, title, text, level, count); a repeat has the same id
SYSTEM = 0x73  # s: (time, data), in the system segments
ARTIFACT = 0x61  # a: the local id of an artifact version staged under artifacts/staged/
USE = 0x55  # U: "org/project/name:vN" of an artifact version the run used

_crc32 = zlib.crc32
_pack_into = HEADER.pack_into
# The checksum of each one-byte kind prefix, to extend with the body's.
_KIND_CRC = tuple(zlib.crc32(bytes((k,))) for k in range(256))
# Fault the pages of a new segment in at once, not one by one inside log().
_MAP_POPULATE = getattr(mmap, "MAP_POPULATE", 0x8000 if sys.platform.startswith("linux") else 0)


def frame(payload: bytes) -> bytes:
    """Frame one payload: ``[len][crc32][payload]``."""
    return HEADER.pack(len(payload), _crc32(payload)) + payload


def segment_path(run_dir: str, prefix: str, index: int) -> str:
    return os.path.join(run_dir, f"{prefix}-{index:06d}.bin")


def list_segments(run_dir: str, prefix: str) -> list[int]:
    pattern = re.compile(re.escape(prefix) + r"-(\d{6})\.bin$")
    found = []
    try:
        names = os.listdir(run_dir)
    except OSError:
        return []
    for name in names:
        match = pattern.match(name)
        if match:
            found.append(int(match.group(1)))
    return sorted(found)


def _allocate(fd: int, size: int) -> None:
    # Reserve the blocks now: writing through a map into a sparse file on a
    # full disk would kill the process with SIGBUS instead of failing here.
    fallocate = getattr(os, "posix_fallocate", None)
    if fallocate is not None:
        try:
            fallocate(fd, 0, size)
            return
        except OSError as exc:
            if exc.errno not in (95, 22):  # EOPNOTSUPP, EINVAL: fall back
                raise
    os.ftruncate(fd, size)


class MappedWriter:
    """Appends framed records to memory-mapped segments (training process side).

    Thread-safe. Writes the payload first and the header last, so a reader
    that sees a complete header with a matching checksum sees the record.
    """

    def __init__(self, run_dir: str, prefix: str = "spool", start_index: int = 0) -> None:
        self._dir = run_dir
        self._prefix = prefix
        self._lock = threading.Lock()
        self._index = start_index - 1
        self._map: Optional[mmap.mmap] = None
        self._pos = 0
        self._size = 0
        self.closed = False
        self._open_next(SEGMENT_SIZE)

    def _open_next(self, size: int) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        self._index += 1
        path = segment_path(self._dir, self._prefix, self._index)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _allocate(fd, size)
            try:
                self._map = mmap.mmap(fd, size, flags=mmap.MAP_SHARED | _MAP_POPULATE)
            except OSError:
                self._map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self._pos = 0
        self._size = size

    def append(self, kind: int, body: bytes) -> None:
        """Append one record of ``kind``; it is durable (page cache) when this returns."""
        n = len(body) + 1
        with self._lock:
            if self.closed:
                return
            pos = self._pos
            end = pos + HEADER_SIZE + n
            if end > self._size:
                self._open_next(max(SEGMENT_SIZE, HEADER_SIZE + n))
                pos = 0
                end = HEADER_SIZE + n
            buf = self._map
            start = pos + HEADER_SIZE
            buf[start] = kind  # type: ignore[index]
            buf[start + 1 : end] = body  # type: ignore[index]
            _pack_into(buf, pos, n, _crc32(body, _KIND_CRC[kind]))  # type: ignore[arg-type]
            self._pos = end

    def close(self) -> None:
        with self._lock:
            self.closed = True
            if self._map is not None:
                self._map.close()
                self._map = None


class FileWriter:
    """Appends framed records with plain writes (background process side).

    Opening it repairs the tail left by a writer that was killed mid-record.
    """

    def __init__(self, run_dir: str, prefix: str) -> None:
        self._dir = run_dir
        self._prefix = prefix
        segments = list_segments(run_dir, prefix)
        self._index = segments[-1] if segments else 0
        path = segment_path(run_dir, prefix, self._index)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        good = valid_length(path)
        os.ftruncate(self._fd, good)
        os.lseek(self._fd, good, os.SEEK_SET)
        self._size = good

    def append(self, payload: bytes) -> None:
        data = frame(payload)
        if self._size + len(data) > SEGMENT_SIZE and self._size:
            os.close(self._fd)
            self._index += 1
            self._fd = os.open(
                segment_path(self._dir, self._prefix, self._index),
                os.O_RDWR | os.O_CREAT | os.O_TRUNC,
                0o600,
            )
            self._size = 0
        os.write(self._fd, data)
        self._size += len(data)

    def close(self) -> None:
        os.close(self._fd)


def valid_length(path: str) -> int:
    """Bytes of ``path`` that hold whole, valid records."""
    pos = 0
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return 0
    size = len(data)
    while pos + HEADER_SIZE <= size:
        n, crc = HEADER.unpack_from(data, pos)
        end = pos + HEADER_SIZE + n
        if n == 0 or end > size or _crc32(data[pos + HEADER_SIZE : end]) != crc:
            break
        pos = end
    return pos


# A cursor is (segment index, byte offset).


class Reader:
    """Reads records from the segments of one prefix, from a cursor on.

    ``writer_done`` tells it the writer has stopped for good: a frame that
    does not check out is then a torn tail, and the reader moves past the
    segment; while the writer may still be writing it is simply not ready.
    """

    def __init__(self, run_dir: str, prefix: str, cursor: tuple[int, int] = (0, 0)) -> None:
        self._dir = run_dir
        self._prefix = prefix
        self.cursor: tuple[int, int] = cursor
        self.torn = 0

    def _next_exists(self, index: int) -> bool:
        return os.path.exists(segment_path(self._dir, self._prefix, index + 1))

    def read(
        self,
        max_records: int = 10000,
        max_bytes: int = 8 << 20,
        kind: Optional[int] = None,
        writer_done: bool = False,
    ) -> list[tuple[int, bytes, tuple[int, int]]]:
        """Read up to ``max_records`` records (of ``kind`` when given).

        Returns ``(kind, body, cursor_after)`` triples, ``body`` being the
        payload without its kind byte; advances ``self.cursor``.
        """
        out: list[tuple[int, bytes, tuple[int, int]]] = []
        total = 0
        while len(out) < max_records and total < max_bytes:
            index, pos = self.cursor
            path = segment_path(self._dir, self._prefix, index)
            # Look for the next segment before reading this one: a writer
            # finishes a segment before it creates the next.
            has_next = self._next_exists(index)
            try:
                fh = open(path, "rb")
            except FileNotFoundError:
                if has_next:
                    self.cursor = (index + 1, 0)
                    continue
                break
            finished = True
            with fh:
                fh.seek(pos)
                while len(out) < max_records and total < max_bytes:
                    header = fh.read(HEADER_SIZE)
                    if len(header) < HEADER_SIZE or header == b"\0" * HEADER_SIZE:
                        break
                    n, crc = HEADER.unpack(header)
                    body = fh.read(n) if 0 < n <= MAX_RECORD else b""
                    if len(body) != n or n == 0 or _crc32(body) != crc:
                        if has_next or writer_done:
                            self.torn += 1
                            break
                        finished = False
                        break
                    pos += HEADER_SIZE + n
                    self.cursor = (index, pos)
                    if kind is None or body[0] == kind:
                        out.append((body[0], body[1:], (index, pos)))
                        total += n
                else:
                    finished = False
            if not finished or not has_next:
                break
            if len(out) >= max_records or total >= max_bytes:
                break
            self.cursor = (index + 1, 0)
        return out

    def iter_all(
        self, kind: Optional[int] = None, writer_done: bool = True
    ) -> Iterator[tuple[int, bytes]]:
        while True:
            batch = self.read(kind=kind, writer_done=writer_done)
            if not batch:
                return
            for k, body, _ in batch:
                yield k, body
