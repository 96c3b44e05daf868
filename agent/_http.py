"""HTTP plumbing shared by the uploader, the read API and the CLI (``requests`` is imported lazily)."""

from __future__ import annotations

import gzip
import json
import random
import re

from ._errors import ApiError, AuthError, NotFound, ServerError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

    import requests

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
# Uploads wait less for an answer: the server stores a full batch (10,000
# records) in well under a second, and a stalled proxy or a hung server holds
# the stream until this runs out. 15 s leaves a wide margin and lets uploads
# resume about as soon as such a stall ends. File uploads keep READ_TIMEOUT.
UPLOAD_READ_TIMEOUT = 15.0
# Retries after a network error or a 5xx back off to at most this: a restarted
# server gets the uploads (and its live charts) back within about 15 s.
BACKOFF_CAP = 15.0
USER_AGENT = "cairn-agent/0.1"


def session(api_key: Optional[str]) -> requests.Session:
    """One session per process: keeps connections alive between requests."""
    import requests

    s = requests.Session()
    s.headers["User-Agent"] = USER_AGENT
    if api_key:
        s.headers["Authorization"] = f"Bearer {api_key}"
    return s


# Text the server refuses, since no database can store it: a lone surrogate
# (text decoded with "surrogateescape" holds them, e.g. a file name that is not
# UTF-8) and NUL. Sent as U+FFFD instead, so a run's config or a console line
# with one is kept, not refused.
_SURROGATE = re.compile("[\ud800-\udfff]")
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def json_bytes(data: Any, default: Any = None) -> bytes:
    """``data`` as UTF-8 JSON, NaN and Infinity as bare tokens (as the protocol
    wants); a lone surrogate or a NUL in any text becomes U+FFFD."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=default)
    if "\\u0000" in text:
        text = _NUL_ESCAPE.sub("\\1\ufffd", text)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode()


def json_body(data: Any, compress: bool = True) -> dict[str, Any]:
    """Keyword arguments for ``requests`` sending ``data`` as (gzipped) JSON."""
    raw = data if isinstance(data, bytes) else json_bytes(data)
    headers = {"Content-Type": "application/json"}
    if compress and len(raw) > 1024:
        raw = gzip.compress(raw, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    return {"data": raw, "headers": headers}


def error_for(response: requests.Response) -> ApiError:
    """The exception for an error response."""
    message = ""
    field = None
    body: dict[str, Any] = {}
    try:
        parsed = response.json()
        if isinstance(parsed, dict):
            body = parsed
            message = str(body.get("error") or body.get("detail") or "")
            field = body.get("field")
    except ValueError:
        message = response.text[:200]
    status = response.status_code
    text = f"{response.request.method} {response.url}: {status} {message}".strip()
    if status in (401, 403):
        return AuthError(text, status=status, field=field, body=body)
    if status == 404:
        return NotFound(text, status=status, field=field, body=body)
    if status >= 500:
        return ServerError(text, status=status, field=field, body=body)
    return ApiError(text, status=status, field=field, body=body)


def request(
    s: requests.Session,
    method: str,
    url: str,
    *,
    timeout: Optional[float] = None,
    ok: tuple = (200, 201, 204),
    **kwargs: Any,
) -> requests.Response:
    """Send one request; raise an ``ApiError`` subclass unless the status is in ``ok``."""
    import requests

    read = READ_TIMEOUT if timeout is None else timeout
    try:
        response = s.request(method, url, timeout=(min(CONNECT_TIMEOUT, read), read), **kwargs)
    except requests.RequestException as exc:
        raise ServerError(f"{method} {url}: cannot reach the server: {exc}") from exc
    if response.status_code not in ok:
        raise error_for(response)
    return response


class Backoff:
    """Exponential backoff with full jitter, capped."""

    def __init__(self, base: float = 0.5, cap: float = BACKOFF_CAP) -> None:
        self.base = base
        self.cap = cap
        self.failures = 0

    def next_delay(self) -> float:
        self.failures += 1
        return random.uniform(self.base, min(self.cap, self.base * 2**self.failures))

    def reset(self) -> None:
        self.failures = 0
