"""Hostile Markdown renders safe: no script, no event handler, no javascript: link, raw HTML as text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from apps.core.markdown import markdown_render
from tests.factories import World, world_create
from tests.reports.helpers import browser, report_make

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{display:none}</style>",
    "```html\n<script>alert(1)</script>\n```",
    "$<img src=x onerror=alert(1)>$",
    "$$\n</div><script>alert(1)</script>\n$$",
    '<details open ontoggle=alert(1)>',
    "| a |\n|---|\n| <script>alert(1)</script> |",
    '[x](https://ok.example "title" onclick="alert(1)")',
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "iframe", "style", "object", "embed", "details", "svg", "form", "input", "base", "meta", "link"}:
            self.found.append(f"tag {tag}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"handler {name}")
            is_url = name in {"href", "src", "action", "formaction", "xlink:href"}
            if is_url and value is not None and re.match(r"\s*(javascript|data|vbscript):", value, re.I):
                self.found.append(f"url {value}")
            if name == "style" and value and "url" in value:
                self.found.append(f"style {value}")


def unsafe(html: str) -> list[str]:
    """Real tags and attributes that could run code, as a browser would parse them."""
    parser = _Tags()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("source", HOSTILE)
def test_it_renders_hostile_markdown_safe(source: str) -> None:
    html = markdown_render(text=source)
    assert unsafe(html) == [], html


def test_it_keeps_what_reports_need() -> None:
    html = markdown_render(text=(
        "# Title\n\n*em* **strong** `code` [link](https://cairn.example/x) ![img](https://cairn.example/a.png)\n\n"
        "- a\n- b\n\n| x | y |\n|:-:|--:|\n| 1 | 2 |\n\n```python\ndef f():\n    return 1\n```\n\n$e^{i\\pi}+1=0$\n\n$$\n\\int_0^1 x\\,dx\n$$\n"
    ))
    assert "<h1>Title</h1>" in html and "<em>em</em>" in html and "<strong>strong</strong>" in html
    assert '<a href="https://cairn.example/x" rel="noopener noreferrer nofollow ugc">link</a>' in html
    assert '<img src="https://cairn.example/a.png" alt="img">' in html
    assert '<th style="text-align:center">x</th>' in html
    assert '<span class="k">def</span>' in html  # highlighted by pygments
    assert '<span class="math inline">e^{i\\pi}+1=0</span>' in html
    assert '<div class="math block">' in html
    # Raw HTML is text, not markup.
    assert "&lt;b&gt;" in markdown_render(text="<b>bold</b>")


@pytest.mark.django_db
def test_hostile_markdown_is_safe_on_the_page_in_exports_and_comments() -> None:
    w: World = world_create()
    text = "\n\n".join(HOSTILE)
    report = report_make(w, publish="public", blocks=[{"id": "t1", "type": "text", "text": text}])
    w.owner.client().patch(f"/api/v1/reports/{report['id']}", {"description": "<script>alert(2)</script>"}, format="json")
    w.owner.client().post(f"/api/v1/reports/{report['id']}/publish", {"visibility": "public"}, format="json")
    comment = w.viewer.client().post(f"/api/v1/reports/{report['id']}/comments", {"body": text}, format="json")
    assert comment.status_code == 201
    assert unsafe(comment.json()["html"]) == []
    page = browser(w.anonymous).get(f"/r/{report['id']}/").content.decode()
    body = page.split('<article class="report"', 1)[1].split("</article>", 1)[0]
    assert unsafe(body) == []
    exported = w.anonymous.client().get(f"/api/v1/reports/{report['id']}/export.html").content.decode()
    exported_body = exported.split("<body", 1)[1]
    assert "<style>" in exported.split("<body", 1)[0]  # the export's own stylesheet, in the head
    assert unsafe(exported_body) == []
    detail = w.anonymous.client().get(f"/api/v1/reports/{report['id']}").json()
    assert unsafe(detail["published"]["blocks"][0]["html"]) == []
    assert unsafe(detail["published"]["description_html"]) == []
