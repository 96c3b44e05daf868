"""Exports: one self-contained HTML file (inline CSS and SVG charts, no script), and a PDF of it."""

from __future__ import annotations

import re

import pytest

from tests.factories import world_create
from tests.reports.helpers import line_block, no_weasyprint, report_make, runs_seed

pytestmark = pytest.mark.django_db

BLOCKS = [
    {"id": "t1", "type": "text", "text": "# Results\n\n```python\nprint('hi')\n```"},
    line_block("c1", ["loss", "acc"], runs=["run0", "run1"]),
    {"id": "b1", "type": "panel", "panel": {"kind": "bar", "title": "Best", "field": "summary.best_acc", "runset": {}}},
    {"id": "s1", "type": "panel", "panel": {"kind": "scatter", "title": "lr", "x": "config.lr", "y": "summary.best_acc",
                                             "runset": {}}},
    {"id": "p1", "type": "panel", "panel": {"kind": "parallel", "title": "par", "fields": ["config.lr", "config.opt", "summary.best_acc"],
                                             "runset": {}}},
    {"id": "tb", "type": "panel", "panel": {"kind": "table", "title": "tab", "fields": ["config.opt"], "runset": {}}},
]


def test_the_html_export_needs_nothing_else() -> None:
    w = world_create()
    runs_seed(w.private)
    key = report_make(w, publish="public", blocks=BLOCKS)["id"]
    r = w.anonymous.client().get(f"/api/v1/reports/{key}/export.html")
    assert r.status_code == 200
    assert r["Content-Disposition"] == f'attachment; filename="report-{key}.html"'
    html = r.content.decode()
    assert "<script" not in html.lower()
    # No file to fetch: no stylesheet links, no relative or server URLs.
    assert not re.search(r"<link|src=\"/|href=\"/|/static/", html)
    assert html.count("<svg") == 4  # line, bar, scatter, parallel
    assert html.count("<polyline") >= 4 + 3  # 2 runs × 2 keys, and the parallel lines
    assert "run-0 · loss" in html and "adam" in html
    assert ".md pre" in html  # the code colours are inline too


def test_the_pdf_export_draws_the_charts() -> None:
    w = world_create()
    runs_seed(w.private)
    key = report_make(w, publish="org", blocks=BLOCKS)["id"]
    r = w.viewer.client().get(f"/api/v1/reports/{key}/export.pdf")
    if r.status_code == 503:
        no_weasyprint()
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert len(r.content) > 5000


def test_an_editor_exports_the_draft() -> None:
    w = world_create()
    runs_seed(w.private)
    key = report_make(w, blocks=BLOCKS)["id"]
    html = w.owner.client().get(f"/api/v1/reports/{key}/export.html?draft=1").content.decode()
    assert "Results" in html and html.count("<svg") == 4


def test_the_pdf_never_makes_the_server_fetch_a_url() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        w = world_create()
        inside = f"http://127.0.0.1:{httpd.server_address[1]}"
        text = f"![x]({inside}/metadata.png) [link]({inside}/link)"
        key = report_make(w, publish="org", blocks=[{"id": "t", "type": "text", "text": text}])["id"]
        r = w.viewer.client().get(f"/api/v1/reports/{key}/export.pdf")
        if r.status_code == 503:
            no_weasyprint()
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        assert hits == []
    finally:
        httpd.shutdown()


HOSTILE_NAME = 'q" onload="alert(1)\' x=\'<script>alert(2)</script>&\x01'


def test_every_svg_holds_hostile_names_as_text() -> None:
    import xml.etree.ElementTree as ET

    from tests.factories import run_create

    w = world_create()
    runs_seed(w.private)
    run_create(w.private, "evil", name=HOSTILE_NAME, config={"lr": HOSTILE_NAME, "opt": HOSTILE_NAME},
               summary={"best_acc": 0.3}, state="finished")
    blocks = [dict(b, panel=dict(b["panel"], runset={"runs": ["run0", "evil"]})) if b["type"] == "panel" else b for b in BLOCKS]
    key = report_make(w, publish="public", blocks=blocks)["id"]
    html = w.anonymous.client().get(f"/api/v1/reports/{key}/export.html").content.decode()
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 4
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed: every name escaped, control characters dropped
        for element in root.iter():
            assert not [a for a in element.attrib if a.lower().startswith("on")], svg
            assert not element.tag.endswith("script"), svg
    assert "<script>alert(2)" not in html and 'onload="alert(1)' not in html
