"""``agent.Api``'s arguments: W&B's ``Api(overrides, timeout, api_key)`` and Cairn's earlier ones."""

from __future__ import annotations

from typing import Any

import pytest

import agent
from agent import UsageError


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("http://h:1", "cairn_k"), {}, ("http://h:1", "cairn_k", 30.0)),  # Cairn's earlier positional order
        (("http://h:1", "cairn_k", 5), {}, ("http://h:1", "cairn_k", 5.0)),
        (("http://h:1",), {"api_key": "cairn_k", "timeout": 7}, ("http://h:1", "cairn_k", 7.0)),
        (({"base_url": "http://h:2/"}, 9, "cairn_k"), {}, ("http://h:2", "cairn_k", 9.0)),  # W&B's
        ((), {"base_url": "http://h:3", "api_key": "cairn_k"}, ("http://h:3", "cairn_k", 30.0)),
    ],
)
def test_api_takes_w_and_b_arguments_and_cairns_earlier_ones(
    args: tuple[Any, ...], kwargs: dict[str, Any], expected: tuple[str, str, float]
) -> None:
    api = agent.Api(*args, **kwargs)
    assert (api.base_url, api.api_key, api.timeout) == expected


def test_api_refuses_unknown_overrides() -> None:
    with pytest.raises(UsageError, match="unknown keys \\['host'\\]"):
        agent.Api(overrides={"host": "x"})
