"""The README badge: an SVG with the benchmark's name and its current best score."""

from __future__ import annotations

import math

from apps.core.markup import markup_escape

# Verdana 11px, roughly: enough to size the two boxes without a font.
_CHAR_WIDTH = 6.5
_PAD = 10
MAX_LABEL = 40


def score_text(score: float | None, precision: int | None = None) -> str:
    if score is None or not math.isfinite(score):
        return "no entries"
    if precision is not None:
        return f"{score:.{precision}f}"
    if score == int(score) and abs(score) < 1e15:
        return str(int(score))
    return f"{score:.4g}" if abs(score) < 1e-3 or abs(score) >= 1e6 else f"{score:.4f}".rstrip("0").rstrip(".")


def _width(text: str) -> int:
    return int(len(text) * _CHAR_WIDTH + 2 * _PAD)


def badge_svg(*, label: str, value: str) -> str:
    label = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
    lw, vw = _width(label), _width(value)
    total = lw + vw
    lx, vx = lw / 2, lw + vw / 2
    # Both go into an attribute (aria-label) as well as between tags.
    label_x, value_x = markup_escape(label), markup_escape(value)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{label_x}: {value_x}">'
        f"<title>{label_x}: {value_x}</title>"
        f'<rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{vw}" height="20" fill="#3559e0"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{lx}" y="14">{label_x}</text>'
        f'<text x="{vx}" y="14">{value_x}</text>'
        "</g></svg>"
    )
