"""What every new database connection gets: on SQLite, RE2 for REGEXP.

Django registers Python's backtracking `re` as SQLite's REGEXP; a filter's
`~` would run in it, row by row, holding the GIL (apps/core/regex.py).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from apps.core.regex import regex_search

__all__ = ["connection_prepare"]


def connection_prepare(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created`: RE2 in place of Django's REGEXP on SQLite."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("REGEXP", 2, regex_search, deterministic=True)
