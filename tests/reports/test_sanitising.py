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
    # An image from elsewhere is a link to it (see test_images_show_only_from_this_server...).
    assert '<a href="https://cairn.example/a.png" title="an image from elsewhere, not shown" rel="noopener noreferrer nofollow ugc">img</a>' in html
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


REMOTE = "http://tracker.example/pixel.png?reader=1"
DATA_PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
RUN_FILE = "/api/v1/projects/acme/secret/runs/run0/files/plots/loss.png"
IMAGES = (
    f"![tracker]({REMOTE})\n\n![proto](//tracker.example/p.gif)\n\n[![linked]({REMOTE})](https://example.org/)\n\n"
    f"![inline]({DATA_PNG})\n\n![ours]({RUN_FILE})\n\n![escape](/api/v1/projects/acme/secret/runs/run0/files/../../../../x)"
)


def image_sources(html: str) -> list[str]:
    return re.findall(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", html)


@pytest.mark.parametrize("text", [IMAGES])
def test_images_show_only_from_this_servers_run_files_or_data(text: str) -> None:
    html = markdown_render(text=text)
    assert image_sources(html) == [DATA_PNG, RUN_FILE]
    assert f'<a href="{REMOTE}" title="an image from elsewhere, not shown"' in html
    assert '<a href="//tracker.example/p.gif"' in html
    assert '<a href="https://example.org/" rel="noopener noreferrer nofollow ugc">linked</a>' in html  # no link in a link


@pytest.mark.django_db
def test_no_reader_and_no_export_loads_an_image_from_elsewhere() -> None:
    w: World = world_create()
    report = report_make(w, publish="public", blocks=[{"id": "t1", "type": "text", "text": IMAGES}])
    w.owner.client().patch(f"/api/v1/reports/{report['id']}", {"description": f"![d]({REMOTE})"}, format="json")
    w.owner.client().post(f"/api/v1/reports/{report['id']}/publish", {"visibility": "public"}, format="json")
    comment = w.viewer.client().post(f"/api/v1/reports/{report['id']}/comments", {"body": f"![c]({REMOTE})"}, format="json")
    assert image_sources(comment.json()["html"]) == []
    page = browser(w.anonymous).get(f"/r/{report['id']}/").content.decode()
    body = page.split('<article class="report"', 1)[1].split("</article>", 1)[0]
    assert image_sources(body) == [DATA_PNG, RUN_FILE]
    assert REMOTE in body  # as a link
    exported = w.anonymous.client().get(f"/api/v1/reports/{report['id']}/export.html").content.decode()
    assert image_sources(exported) == [DATA_PNG, RUN_FILE]
    assert "tracker.example" not in "".join(image_sources(exported))
    detail = w.anonymous.client().get(f"/api/v1/reports/{report['id']}").json()
    assert image_sources(detail["published"]["description_html"]) == []


@pytest.mark.django_db
def test_a_version_published_before_the_rule_is_rendered_again_by_its_migration() -> None:
    import importlib

    from django.apps import apps as django_apps

    from apps.reports.models import ReportVersion

    w: World = world_create()
    report = report_make(w, publish="public", blocks=[{"id": "t1", "type": "text", "text": IMAGES}])
    version = ReportVersion.objects.get(report__key=report["id"])
    old_html = f'<p><img src="{REMOTE}" alt="tracker"></p>'  # as older versions stored it
    ReportVersion.objects.filter(pk=version.pk).update(html={"t1": old_html})
    migration = importlib.import_module("apps.reports.migrations.0003_rerender_remote_images")
    migration.rerender(django_apps, None)
    html = w.anonymous.client().get(f"/api/v1/reports/{report['id']}").json()["published"]["blocks"][0]["html"]
    assert image_sources(html) == [DATA_PNG, RUN_FILE]
