"""The README badge: the benchmark's name is text in the SVG, never markup,
whatever it holds, and the SVG always parses."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.benchmarks.conftest import Lab, benchmark_create

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    "name",
    ['q" onload="alert(1)', "q' onload='alert(1)", "</text><script>alert(1)</script>", "a & b < c > d", "bell\x07 \x0b tab"],
)
def test_the_badge_shows_the_name_as_text(lab: Lab, name: str) -> None:
    benchmark_create(lab, name=name)
    response = lab.anonymous.client().get("/api/v1/benchmarks/lab/imagenet/badge.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)  # well-formed XML, control characters dropped
    elements = list(root.iter())
    assert not [(e.tag, a) for e in elements for a in e.attrib if a.lower().startswith("on")]
    assert {e.tag for e in elements} <= {f"{SVG}{tag}" for tag in ("svg", "title", "rect", "g", "text")}
    shown = name.replace("\x07", "").replace("\x0b", "")
    assert root.attrib["aria-label"] == f"{shown}: no entries"
    assert [t.text for t in root.iter(f"{SVG}text")][0] == shown
