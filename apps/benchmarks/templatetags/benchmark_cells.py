"""`{{ s.score|cell }}`: a value as the leaderboard's cells show it (six significant digits)."""

from __future__ import annotations

from typing import Any

from django import template

from apps.benchmarks.cells import cell_text

register = template.Library()


@register.filter
def cell(value: Any) -> str:
    return cell_text(value)
