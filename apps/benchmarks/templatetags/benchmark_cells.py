"""`{{ s.score|cell }}`: a value as the leaderboard's cells show it (six significant digits)."""

from __future__ import annotations

from typing import Any

from django import template

from apps.benchmarks.cells import cell_text

register = template.Library()


@register.filter
def cell(value: Any, precision: int | None = None) -> str:
    """`{{ s.score|cell:benchmark.precision }}`: to the benchmark's decimal places."""
    return cell_text(value, precision)
