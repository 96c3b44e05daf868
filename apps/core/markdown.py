"""Markdown to safe HTML: markdown-it-py, pygments for code, math marked for KaTeX, nh3 last.

Raw HTML in the source is shown as text (markdown-it's `html` option is off),
and whatever the renderer emits still goes through nh3's allow-list, so a bug
in a plugin cannot let a script or an event handler through.
"""

from __future__ import annotations

import functools
import re

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

MAX_SOURCE = 200_000

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"style"},
    "th": {"style"},
    "ol": {"start"},
    "span": {"class"},
    "div": {"class"},
    "code": {"class"},
    "pre": {"class"},
}
# Only the classes our renderer writes: pygments' short token classes, math markers, a code language.
_CLASS = re.compile(r"^(highlight|math|inline|block|language-[A-Za-z0-9_+-]{1,40}|[a-z]{1,3}[0-9]?)$")
_ALIGN = re.compile(r"^text-align:(left|right|center)$")
# nowrap: markdown-it writes the <pre><code> around the spans itself.
_FORMATTER = HtmlFormatter(nowrap=True)


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr == "class":
        kept = [c for c in value.split() if _CLASS.match(c)]
        return " ".join(kept) or None
    if attr == "style":  # table cell alignment is the only style the renderer writes
        return value if _ALIGN.match(value.replace(" ", "")) else None
    return value


def _highlight(code: str, lang: str, attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang) if lang else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""  # markdown-it escapes it as plain code
    return highlight(code, lexer, _FORMATTER)


@functools.cache
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight, "typographer": False})
    return md.enable("table").enable("strikethrough").use(dollarmath_plugin)


def markdown_render(*, text: str) -> str:
    """Safe HTML for a Markdown source (math left as `span.math`/`div.math` for KaTeX)."""
    html = _renderer().render(text[:MAX_SOURCE])
    return html_sanitise(html=html)


def html_sanitise(*, html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript", "template"},
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
    )


@functools.cache
def code_css() -> str:
    """The stylesheet of highlighted code (pygments' default colours)."""
    return str(_FORMATTER.get_style_defs(".md pre"))
