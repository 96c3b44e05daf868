"""One rule for text put into HTML or SVG markup that we build by hand."""

from __future__ import annotations

import html
import re
from typing import Any

# Characters XML 1.0 cannot hold at all, even as references: an SVG holding one does not parse.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def markup_escape(value: Any) -> str:
    """`value` as text that is safe between tags and inside a quoted attribute
    alike (& < > " ' escaped), with the characters XML cannot hold dropped."""
    return html.escape(_NOT_XML.sub("", str(value)), quote=True)
