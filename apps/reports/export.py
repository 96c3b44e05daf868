"""A report as one self-contained HTML file (inline CSS, SVG charts, no script), and as PDF from it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from apps.core.markdown import code_css
from apps.reports import media, selectors
from apps.reports.models import Report
from apps.reports.svg import MediaUrl, panel_figure


def _inline_urls(data: dict[str, bytes]) -> MediaUrl:
    """Media panels' thumbnails as data: URIs: the export needs no server to show them."""
    items = []
    for raw in data.values():
        parsed = orjson.loads(raw)
        if parsed.get("kind") == "media":
            items += [i for r in parsed["runs"] for i in r.get("items") or []]
    inline = media.thumbnails_inline(items=items) if items else {}
    return lambda item, what: inline.get(item["id"]) if what == "thumbnail" else None


@functools.cache
def _css() -> str:
    path = Path(settings.BASE_DIR) / "webapp" / "static" / "cairn" / "report.css"
    return path.read_text() + "\n" + code_css()


def figures(
    *, report: Report, draft: bool, kinds: set[str] | None = None, media_url: Callable[[str], MediaUrl] | None = None
) -> dict[str, str]:
    """Each panel (of the given kinds) drawn as HTML with inline SVG, by block id. Media panels'
    pictures come from `media_url(block id)`, or inline (data: URIs) without it."""
    blocks, _ = selectors.reader_blocks(report=report, draft=draft)
    panels = {b["id"]: b["panel"] for b in blocks
              if b["type"] == "panel" and "error" not in b and (kinds is None or b["panel"]["kind"] in kinds)}
    if not panels:
        return {}
    data = selectors.panels_data(report=report, draft=draft, block_ids=list(panels))
    inline = _inline_urls(data) if media_url is None else None
    return {i: mark_safe(panel_figure(orjson.loads(d), panels[i], inline or media_url(i)))  # type: ignore[misc]
            for i, d in data.items()}  # noqa: S308 (escaped in svg.py)


def report_html(*, report: Report, draft: bool) -> str:
    content = selectors.draft_content(report) if draft or report.published is None else selectors.version_content(report.published)
    drawn = figures(report=report, draft=draft)
    blocks: list[dict[str, Any]] = []
    for b in content["blocks"]:
        if b["type"] == "text":
            blocks.append({"type": "text", "html": mark_safe(b["html"])})  # noqa: S308 (sanitised by nh3)
        else:
            blocks.append({"type": "panel", "title": b["panel"].get("title", ""), "figure": drawn.get(b["id"], "")})
    return render_to_string("reports/export.html", {
        "report": report,
        "content": content,
        "description_html": mark_safe(content["description_html"]),  # noqa: S308 (sanitised by nh3)
        "blocks": blocks,
        "css": mark_safe(_css()),  # noqa: S308 (our own stylesheet)
    })


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    if url.startswith("data:"):  # the inline thumbnails of media panels
        import weasyprint

        result: dict[str, Any] = weasyprint.default_url_fetcher(url)
        return result
    # The HTML is complete as it is; fetching a Markdown image's URL from the server would let
    # a report's author make the server request its internal network (SSRF). Images are left out.
    raise ValueError(f"not fetched: {url[:100]}")


def report_pdf(*, html: str) -> bytes | None:
    """The PDF, or None when WeasyPrint's system libraries (pango) are missing."""
    try:
        import weasyprint
    except OSError:
        return None
    fetcher: Any = _no_fetch
    try:  # WeasyPrint 68+: a fetcher object; no protocol allowed means nothing is fetched
        from weasyprint.urls import URLFetcher

        fetcher = URLFetcher(allowed_protocols=("data",))  # the inline thumbnails only
    except ImportError:
        pass
    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
