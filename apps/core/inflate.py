"""Gzip request bodies, inflated only when a view reads them, never past a limit.

Nothing is inflated before the view that owns the URL has resolved its scope
and checked the caller's access: the stream stands in for the request's body
and inflates on `read()`, which only handlers call (after `ScopedApi.initial`).
An anonymous caller is refused before the first byte is inflated, whatever the
view, and no read ever yields more than `limit` bytes in all.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import IO

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated

from apps.core.errors import BadInput, TooLarge

READ_SIZE = 1 << 16


class InflatingStream:
    """A file-like gzip body: `read(n)` inflates at most `n` more bytes."""

    def __init__(self, raw: IO[bytes], *, limit: int, before_first_read: Callable[[], None]) -> None:
        self._raw = raw
        self._limit = limit
        self._before_first_read: Callable[[], None] | None = before_first_read
        self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        self._done = False
        self.size = 0  # bytes inflated so far

    def read(self, size: int = -1) -> bytes:
        if self._before_first_read is not None:
            self._before_first_read()  # raises until it passes
            self._before_first_read = None
        # Never more than limit + 1 bytes in all: one past the limit tells it was passed.
        room = self._limit + 1 - self.size
        want = room if size is None or size < 0 else min(size, room)
        parts: list[bytes] = []
        got = 0
        while got < want and not self._done:
            data = self._inflate(min(want - got, READ_SIZE))
            parts.append(data)
            got += len(data)
        self.size += got
        if self.size > self._limit:
            self._done = True
            raise TooLarge(f"Decompressed body is over the limit of {self._limit} bytes.")
        return b"".join(parts)

    def _inflate(self, most: int) -> bytes:
        """Up to `most` inflated bytes; b"" at the end of the gzip stream."""
        while not self._inflater.eof:
            chunk = self._inflater.unconsumed_tail or self._raw.read(READ_SIZE)
            try:
                data = self._inflater.decompress(chunk, most)
            except zlib.error as e:
                self._done = True
                raise BadInput(f"Body is not valid gzip: {e}") from None
            if data:
                return data
            if not chunk:  # nothing in, nothing out, and not at the end
                self._done = True
                raise BadInput("Body is not valid gzip: truncated stream.")
        self._done = True
        return b""

    def close(self) -> None:
        self._raw.close()


def anonymous_refused(request: HttpRequest) -> Callable[[], None]:
    """The check before a gzip body is first inflated: no stranger costs any
    work. By then DRF has put the caller it authenticated (key or session) on
    the Django request."""

    def check() -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            raise NotAuthenticated("Sign in or send an API key to send a compressed body.")

    return check


def body_inflated(request: HttpRequest) -> bool:
    """Whether the request's body is gzip being inflated, so its Content-Length
    counts compressed bytes, not the body's."""
    return isinstance(getattr(request, "_stream", None), InflatingStream)
