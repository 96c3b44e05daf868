"""The agent's exceptions: one base class, a short hierarchy."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional


class AgentError(Exception):
    """Base class of every exception the agent raises on purpose."""


class UsageError(AgentError):
    """The agent was called wrongly: a bad argument or setting."""


class ApiError(AgentError):
    """The server answered a request with an error.

    ``status`` is the HTTP status (``None`` when the server could not be
    reached) and ``field`` the input field the server blamed, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        field: Optional[str] = None,
        body: Optional[dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.body = body or {}


class AuthError(ApiError):
    """The API key is missing, wrong or revoked (401), or lacks permission (403)."""


class NotFound(ApiError):
    """No such organisation, project, run or file, or the caller may not see it (404)."""


class ServerError(ApiError):
    """The server failed (5xx) or could not be reached."""


class AlreadyDone(SystemExit):
    """``init(skip_if_done=True)`` found a finished run of this experiment: the script exits with status 0.

    A ``SystemExit``, so a script ends there, cleanly; a notebook or a sweep
    can catch it (``except agent.AlreadyDone as done: done.url, done.summary``).
    """

    def __init__(self, url: Optional[str], run: dict[str, Any]) -> None:
        super().__init__(0)
        self.url = url
        self.run = run
        self.summary: dict[str, Any] = run.get("summary") or {}


class AgentWarning(UserWarning):
    """Something could not be logged or tracked; the training goes on."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the user's line, not ours."""
    import sys

    frame = sys._getframe(1)
    level = 1
    while (
        frame is not None
        and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR
    ):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level
