"""A benchmark's description and rules: Markdown rendered, then sanitised."""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# CommonMark with tables; raw HTML in the source is escaped, and nh3 removes
# anything unsafe the renderer could still produce (javascript: links...).
_md = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_html(text: str) -> SafeString:
    html = nh3.clean(_md.render(text), link_rel="noopener noreferrer nofollow", url_schemes={"http", "https", "mailto"})
    return mark_safe(html)  # noqa: S308  (sanitised just above)
