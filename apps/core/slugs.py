"""One rule for the short names in URLs: organisations, projects, benchmarks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from apps.core.errors import BadInput

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
SLUG_RULE = "Use 1-64 of a-z, 0-9, '_', '.', '-', starting with a letter or digit."
# The model field's message (kept as the migrations recorded it).
slug_validator = RegexValidator(SLUG_PATTERN, "Use 1-64 of a-z, 0-9, '_', '.', '-'.")


def slug_check(value: object, field: str = "slug") -> str:
    """The slug, lower-cased, or a 400 naming the field."""
    slug = str(value or "").lower()
    try:
        slug_validator(slug)
    except ValidationError:
        raise BadInput(SLUG_RULE, field) from None
    return slug
