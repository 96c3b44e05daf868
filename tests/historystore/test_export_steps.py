"""An export of a step range: `min_step`/`max_step` keep the rows of those steps, whole."""

from __future__ import annotations

import json

from apps.runs.history import export_csv, export_jsonl
from tests.historystore.test_codec import export_example


def _steps(lines: list[str]) -> list[int]:
    return [json.loads(line)["step"] for line in lines]


def test_it_keeps_the_rows_of_the_range_with_their_values() -> None:
    text = b"".join(export_jsonl(export_example(), ["loss", "acc", "epoch", "note", "m"], (1, 2))).decode()
    assert text == (
        '{"step":1,"time":1764500001.0,"loss":NaN,"epoch":0,"note":"a,\\"b\\""}\n'
        '{"step":2,"time":1764500002.5,"loss":-Infinity,"acc":Infinity,"epoch":1,"m":{"v":[NaN,null]}}\n'
    )


def test_it_takes_open_ends() -> None:
    everything = b"".join(export_jsonl(export_example(), None, (2, None))).decode().splitlines()
    assert _steps(everything) == [2, 3]
    assert _steps(b"".join(export_jsonl(export_example(), None, (None, 0))).decode().splitlines()) == [0]
    assert b"".join(export_jsonl(export_example(), None, (5, 9))) == b""


def test_it_cuts_csv_the_same_way() -> None:
    text = b"".join(export_csv(export_example(), ["loss", "acc"], (0, 0))).decode()
    assert text == "step,time,loss,acc\n0,1764500000.25,2.5,0.5\n"
