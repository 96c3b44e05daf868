"""One rule for the short names in URLs: organisations, projects, benchmarks."""

from __future__ import annotations

import re

from django.core.validators import RegexValidator

from apps.core.errors import BadInput

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
SLUG_RULE = "Use 1-64 of a-z, 0-9, '_', '.', '-', starting with a letter or digit."
# The model field's message (kept as the migrations recorded it).
slug_validator = RegexValidator(SLUG_PATTERN, "Use 1-64 of a-z, 0-9, '_', '.', '-'.")
_SLUG = re.compile(SLUG_PATTERN)


def slug_check(value: object, field: str = "slug") -> str:
    """The slug, lower-cased, or a 400 naming the field."""
    slug = str(value or "").lower()
    # fullmatch: the pattern's `$` also matches before a final newline.
    if not _SLUG.fullmatch(slug):
        raise BadInput(SLUG_RULE, field)
    return slug
