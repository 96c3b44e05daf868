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
