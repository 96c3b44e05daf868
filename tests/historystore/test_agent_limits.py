"""The agent's copy of the history limits refuses what the server refuses, no more, no less.

The agent never imports the server, so it holds the limits itself
(agent/_values.py); here both sides see the same values, sent as the
uploader sends them. No database needed.
"""

from __future__ import annotations

from typing import Any

import pytest

from agent import _http, _values
from apps.core.errors import BadInput
from apps.core.rendering import json_loads
from apps.runs import history as server
from apps.runs.history import RecordError, encode_chunk

EDGE = server.MAX_VALUE_BYTES


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth - 1):
        value = [value]
    return {"_type": "custom", "v": value}


KEYS = [
    "k",
    "k" * server.MAX_KEY_LENGTH,
    "k" * (server.MAX_KEY_LENGTH + 1),
    "",
    "é" * 256,
    "a\x00b",
]
VALUES = [
    1.5,
    "x" * EDGE,
    "x" * (EDGE + 1),
    "é" * (EDGE // 2),
    "é" * (EDGE // 2) + "x",
    "\x00" * (EDGE // 3),
    "\x00" * (EDGE // 3 + 1),
    "\udcff" * (EDGE // 3),
    "\udcff" * (EDGE // 3 + 1),
    _nested(server.MAX_DEPTH),  # the reference itself is one level
    _nested(server.MAX_DEPTH + 1),
    {"_type": "custom", "s": "y" * (EDGE - 30)},
    {"_type": "custom", "s": "y" * EDGE},
]


def _server_accepts(key: str, value: Any) -> bool:
    records = json_loads(_http.json_bytes([{"step": 0, "time": 1.0, "data": {key: value}}]))
    try:
        encode_chunk(records, stream="history", first_offset=0)
    except (RecordError, BadInput):
        return False
    return True


def test_the_agent_holds_the_server_limits() -> None:
    assert (_values.MAX_KEY_LENGTH, _values.MAX_VALUE_BYTES, _values.MAX_DEPTH) == (
        server.MAX_KEY_LENGTH,
        server.MAX_VALUE_BYTES,
        server.MAX_DEPTH,
    )


@pytest.mark.parametrize("key", KEYS, ids=range(len(KEYS)))
def test_a_key_the_agent_passes_is_one_the_server_takes(key: str) -> None:
    assert (_values.key_problem(key) is None) == _server_accepts(key, 1.0)


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_a_value_the_agent_passes_is_one_the_server_takes(value: Any) -> None:
    assert (_values.value_problem(value) is None) == _server_accepts("k", value)
