"""Regular expressions from users, matched by RE2: time linear in the text, whatever the pattern.

Python's `re` backtracks: `(.|.)*!` against 28 characters takes 40 s, and holds
the GIL all the while. RE2 never backtracks (and releases the GIL while it
matches), at the price of refusing what needs backtracking: backreferences
and lookaround.
"""

from __future__ import annotations

import functools
from typing import Any

import re2

__all__ = ["MAX_PROGRAM_SIZE", "RegexError", "regex_check", "regex_search"]

# Matching costs up to the text's length times the compiled program's size, and
# one match cannot be stopped midway: a bound on the program bounds one match
# (at most about 0.6 s against 100,000 characters, a note at its longest).
# `^bert-` compiles to 4 instructions, `[a-z0-9_-]{1,64}` to 323.
MAX_PROGRAM_SIZE = 500

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is the user's, not a log line of ours


class RegexError(ValueError):
    """A pattern RE2 refuses; the message says why."""


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    try:
        compiled = re2.compile(pattern, _OPTIONS)
    except re2.error as e:
        reason = e.args[0] if e.args else "refused"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexError(str(reason)) from None
    if compiled.programsize > MAX_PROGRAM_SIZE:
        raise RegexError(
            f"too large: {compiled.programsize} instructions compiled, at most {MAX_PROGRAM_SIZE}"
        )
    return compiled


def regex_check(pattern: str) -> None:
    """Raise RegexError unless RE2 accepts the pattern."""
    _compiled(pattern)


def regex_search(pattern: str | None, text: Any) -> bool | None:
    """Whether the pattern matches anywhere in the text: SQLite's `text REGEXP pattern`.

    NULL in, NULL out, as Django's own REGEXP function does.
    """
    if pattern is None or text is None:
        return None
    text = text if isinstance(text, str) else str(text)
    try:
        return _compiled(pattern).search(text) is not None
    except UnicodeEncodeError:  # a lone surrogate stored before input was checked
        return _compiled(pattern).search(text.encode("utf-8", "replace").decode()) is not None
