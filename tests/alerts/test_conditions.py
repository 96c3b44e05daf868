"""The threshold language: parsed by a fixed grammar, evaluated on a batch's numbers."""

from __future__ import annotations

import math

import pytest

from apps.alerts.conditions import Condition, condition_parse
from apps.core.errors import BadInput


@pytest.mark.parametrize(
    "text, parsed",
    [
        ("val/loss > 5", Condition("history", "val/loss", ">", 5.0)),
        ("val/loss>5", Condition("history", "val/loss", ">", 5.0)),
        ("acc <= -1.5e-3", Condition("history", "acc", "<=", -1.5e-3)),
        ("system/gpu.0.temp >= 85", Condition("system", "gpu.0.temp", ">=", 85.0)),
        ('"my loss" != 0', Condition("history", "my loss", "!=", 0.0)),
        ("loss is NaN", Condition("history", "loss", "nan", 0.0)),
        ("loss IS NOT FINITE", Condition("history", "loss", "nonfinite", 0.0)),
    ],
)
def test_it_parses(text: str, parsed: Condition) -> None:
    assert condition_parse(text) == parsed


@pytest.mark.parametrize("text", ["", "loss", "loss > ", "> 5", "loss > 5 and acc < 1", "loss =~ 5", "loss > nan", "a\x00 > 1"])
def test_it_refuses(text: str) -> None:
    with pytest.raises(BadInput):
        condition_parse(text)


def test_it_finds_the_first_value_meeting_it() -> None:
    values = [1.0, math.nan, 6.0, math.inf]
    assert condition_parse("x > 5").first_match(values) == 2
    assert condition_parse("x is NaN").first_match(values) == 1
    assert condition_parse("x is not finite").first_match(values) == 1
    assert condition_parse("x < 0").first_match(values) is None
    assert condition_parse('"a b" > 1').text() == '"a b" > 1'
