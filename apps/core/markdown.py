"""Markdown to safe HTML: markdown-it-py, pygments for code, math marked for KaTeX, nh3 last.

Raw HTML in the source is shown as text (markdown-it's `html` option is off),
and whatever the renderer emits still goes through nh3's allow-list, so a bug
in a plugin cannot let a script or an event handler through.

Images show only from where they reveal nothing about their readers: a run's
files on this server (whose endpoint checks the reader's access) and `data:`
URIs of images. Any other image becomes a link to it: a reader's browser (or
an exported file) contacts no third party just by showing the page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
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


# A run's file on this server, as the API serves it: /api/v1/projects/<org>/<project>/runs/<id>/files/<path>.
_RUN_FILE = re.compile(
    r"/api/v1/projects/[a-z0-9][a-z0-9_.-]{0,63}/[a-z0-9][a-z0-9_.-]{0,63}/runs/[A-Za-z0-9_-]{1,64}/files/([^?#\\]+)"
)
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*", re.IGNORECASE)


def image_src_allowed(src: str) -> bool:
    """May an `<img>` show this source: a run's file on this server, or a data: URI of an image?"""
    if _DATA_IMAGE.fullmatch(src):
        return True
    m = _RUN_FILE.fullmatch(src)
    return m is not None and all(part not in ("", ".", "..") for part in unquote(m.group(1)).split("/"))


def _image(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """An image from an allowed source as itself; any other as a link to it."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    if image_src_allowed(src):
        return str(renderer.image(tokens, idx, options, env))
    text = escapeHtml(renderer.renderInlineAsText(token.children or [], options, env) or src)
    depth = sum(1 if t.type == "link_open" else -1 if t.type == "link_close" else 0 for t in tokens[:idx])
    if depth > 0:  # inside a link already: a link cannot hold another
        return text
    return f'<a href="{escapeHtml(src)}" title="an image from elsewhere, not shown">{text}</a>'


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if tag == "img" and attr == "src":  # the last guard: no renderer's image reaches elsewhere
        return value if image_src_allowed(value) else None
    if attr == "href" and value.lower().startswith("data:"):  # data: is allowed for images only
        return None
    if attr == "class":
        kept = [c for c in value.split() if _CLASS.fullmatch(c)]
        return " ".join(kept) or None
    if attr == "style":  # table cell alignment is the only style the renderer writes
        return value if _ALIGN.fullmatch(value.replace(" ", "")) else None
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
    md.add_render_rule("image", _image)
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
        url_schemes={"http", "https", "mailto", "data"},  # data: for images only (_attribute_filter)
        link_rel="noopener noreferrer nofollow ugc",
    )


@functools.cache
def code_css() -> str:
    """The stylesheet of highlighted code (pygments' default colours)."""
    return str(_FORMATTER.get_style_defs(".md pre"))
