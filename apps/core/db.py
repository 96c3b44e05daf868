"""The database under web requests: RE2 for SQLite's REGEXP, and a time limit on queries.

`connection_prepare` runs for every new connection, in every process: on
SQLite it swaps Django's REGEXP (Python's backtracking `re`) for RE2, and
installs a progress handler that stops a statement past its deadline. The
deadline is only ever set by `QueryTimeLimitMiddleware`, so Celery workers,
migrations and shells run without one.

`QueryTimeLimitMiddleware` holds each read request's statements to
`CAIRN_QUERY_TIMEOUT` seconds: PostgreSQL's own `statement_timeout`, SQLite's
progress handler. A statement stopped there raises the database's error,
which `apps.core.errors.is_query_timeout` recognises and the API answers 503.
Writes are not held: they come only from members with write access, a
stream append may rightly wait on a row lock, and deleting a large project is
one long statement that must finish to be of any use.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)

from apps.core.errors import is_query_timeout, query_timeout_message
from apps.core.regex import regex_search

__all__ = ["QueryTimeLimitMiddleware", "connection_prepare"]

# SQLite calls the progress handler every this many virtual machine steps
# (about a millisecond of work): often enough to stop on time, rarely enough
# not to cost (each call takes the GIL).
_SQLITE_STEPS = 20_000
_LIMITED_METHODS = ("GET", "HEAD")

# When the statement running in this thread must stop (time.monotonic()); None: never.
_deadline: ContextVar[float | None] = ContextVar("cairn_query_deadline", default=None)
# The statement_timeout (ms) each PostgreSQL connection has outside any transaction.
_pg_timeout: weakref.WeakKeyDictionary[BaseDatabaseWrapper, int] = weakref.WeakKeyDictionary()


def _late() -> bool:
    deadline = _deadline.get()
    return deadline is not None and time.monotonic() > deadline


def connection_prepare(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created`: RE2 and the time limit on SQLite; note PostgreSQL's session."""
    if connection.vendor == "sqlite":
        raw = connection.connection

        def regexp(pattern: str | None, text: Any) -> bool | None:
            # One call can take long on a long text, and is one step of
            # SQLite's machine: the progress handler alone would not see it.
            if _late():
                raw.interrupt()
                return None
            return regex_search(pattern, text)

        raw.create_function("REGEXP", 2, regexp, deterministic=True)
        raw.set_progress_handler(lambda: int(_late()), _SQLITE_STEPS)
    elif connection.vendor == "postgresql":
        _pg_timeout[connection] = 0  # a new session: the server's default


def _pg_statement_timeout(ms: int) -> None:
    """Give this thread's PostgreSQL session the statement_timeout `ms` (0: none).

    Set once per session and kept while requests want the same. Inside a
    transaction (only in tests: no ATOMIC_REQUESTS here) the setting ends
    with it, so it is set every time and never remembered.
    """
    db = connections[DEFAULT_DB_ALIAS]  # the thread's own, not the proxy
    # A closed connection opens as a new session, with the server's default.
    current = _pg_timeout.get(db, 0) if db.connection is not None else 0
    in_transaction = db.in_atomic_block
    if current == ms and not in_transaction:
        return
    with db.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{ms}ms"])
    if not in_transaction:
        _pg_timeout[db] = ms


def _clock(limit: float) -> Callable[..., Any]:
    """An execute wrapper that gives each SQLite statement `limit` seconds from its start."""

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        _deadline.set(time.monotonic() + limit)
        return execute(sql, params, many, context)

    return wrapper


@contextmanager
def _limited(limit: float) -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    # Rows are read after execute() returns, so the deadline outlives it: a
    # statement's time runs from its start to its last row read here.
    _deadline.set(time.monotonic() + limit)
    try:
        with connection.execute_wrapper(_clock(limit)):
            yield
    finally:
        _deadline.set(None)


def _stream_limited(content: Iterable[bytes] | AsyncIterator[bytes], limit: float) -> Iterator[bytes]:
    """A streamed body whose every chunk's queries are held to the limit, not the whole download."""
    assert isinstance(content, Iterable)  # a sync response (the caller checked)
    chunks = iter(content)
    while True:
        with _limited(limit):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


class QueryTimeLimitMiddleware:
    """Each read request's statements stop after CAIRN_QUERY_TIMEOUT seconds (0: no limit)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit = float(settings.CAIRN_QUERY_TIMEOUT) if request.method in _LIMITED_METHODS else 0.0
        if connection.vendor == "postgresql":
            _pg_statement_timeout(max(1, round(limit * 1000)) if limit else 0)
        if not limit:
            return self.get_response(request)
        with _limited(limit):
            response = self.get_response(request)
        # A streamed body runs its queries as it is sent, after this returns.
        # (A file's bytes need none: FileResponse keeps its sendfile path.)
        if isinstance(response, StreamingHttpResponse) and not isinstance(response, FileResponse) and not response.is_async:
            response.streaming_content = _stream_limited(response.streaming_content, limit)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A page (the API answers in apps.core.errors) stopped by the limit: 503, not 500."""
        if not is_query_timeout(exception):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"error": query_timeout_message()}, status=503)
        return HttpResponse(query_timeout_message(), status=503, content_type="text/plain; charset=utf-8")
