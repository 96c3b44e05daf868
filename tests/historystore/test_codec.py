"""The chunk codec: round trips, validation, size, export text. No database needed."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from apps.runs.history import (
    RecordError,
    chunk_keys,
    decode_chunk,
    encode_chunk,
    export_csv,
    export_jsonl,
    merge_rows,
)

NAN, INF = math.inf - math.inf, math.inf


def history(n: int, data: Any = None, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"step": start + i, "time": 1764500000.0 + i, "data": dict(data or {"loss": 1.0 / (i + 1)})}
        for i in range(n)
    ]


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(
        np.asarray(a, np.float64).view(np.uint64), np.asarray(b, np.float64).view(np.uint64)
    )


def test_it_round_trips_floats_exactly_including_nan_and_signed_infinities() -> None:
    values = [0.1, -0.0, NAN, INF, -INF, 5e-324, 1.7976931348623157e308, 3, -(2**60)]
    records = [{"step": i * 3, "time": 1.5 + i, "data": {"x": v}} for i, v in enumerate(values)]
    chunk = encode_chunk(records, stream="history", first_offset=7)
    decoded = decode_chunk(chunk.payload)
    assert decoded.kind == "history"
    assert decoded.steps.tolist() == [i * 3 for i in range(len(values))]
    assert decoded.times.tolist() == [1.5 + i for i in range(len(values))]
    col = decoded.columns["x"]
    assert col.numeric and not col.integer
    assert col.rows.tolist() == list(range(len(values)))
    assert same_bits(col.values, np.array(values, dtype=np.float64))
    assert (chunk.row_count, chunk.first_offset, chunk.step_min, chunk.step_max) == (9, 7, 0, 24)
    assert chunk.time_max == 9.5
    assert chunk.keys == ["x"]
    assert chunk.last_values == {"x": -(2**60)}
    assert chunk.key_counts == {"x": 9}
    steps, vals = chunk.numeric["x"]
    assert steps.tolist() == decoded.steps.tolist() and same_bits(vals, col.values)


def test_it_round_trips_irregular_steps_and_times_over_many_rows() -> None:
    rng = np.random.default_rng(1)
    steps = np.cumsum(rng.integers(0, 5, 5000)) + 10**12
    times = 1764500000.0 + np.cumsum(rng.random(5000))
    records = [
        {"step": int(s), "time": float(t), "data": {"a": float(v)}}
        for s, t, v in zip(steps, times, rng.random(5000))
    ]
    decoded = decode_chunk(encode_chunk(records, stream="history", first_offset=0).payload)
    assert decoded.steps.tolist() == steps.tolist()
    assert same_bits(decoded.times, times)


def test_it_keeps_sparse_keys_to_their_rows() -> None:
    records = history(6)
    records[1]["data"]["val/loss"] = 0.5
    records[4]["data"]["val/loss"] = NAN
    records[5]["data"]["note"] = "done"
    chunk = encode_chunk(records, stream="history", first_offset=0)
    assert chunk.keys == ["loss", "val/loss", "note"]
    assert chunk.key_counts == {"loss": 6, "val/loss": 2, "note": 1}
    assert chunk.numeric["val/loss"][0].tolist() == [1, 4]
    assert math.isnan(chunk.last_values["val/loss"])
    decoded = decode_chunk(chunk.payload)
    assert decoded.columns["val/loss"].rows.tolist() == [1, 4]
    assert same_bits(decoded.columns["val/loss"].values, np.array([0.5, NAN]))
    assert decoded.columns["note"].rows.tolist() == [5]
    assert decoded.columns["note"].values == ["done"]


def test_it_stores_non_numeric_values_as_json() -> None:
    values: list[Any] = [
        "text",
        True,
        None,
        {"_type": "image", "path": "media/images/x.png", "size": [64, 64]},
        [1, [2.5, NAN, {"deep": -INF}], "x"],
        7,
        2**70,
        "\u00e9\u6f22 \U0001f600",
    ]
    records = [
        {"step": i, "time": 0.0, "data": {"v": v, "flag": i % 2 == 0}} for i, v in enumerate(values)
    ]
    chunk = encode_chunk(records, stream="history", first_offset=0)
    decoded = decode_chunk(chunk.payload)
    col = decoded.columns["v"]
    assert not col.numeric
    # json.dumps with NaN tokens compares equal where == on nan would not.
    assert json.dumps(col.values) == json.dumps(values)
    assert decoded.columns["flag"].values == [i % 2 == 0 for i in range(len(values))]
    # The numbers of a mixed key still feed its chart.
    steps, numbers = chunk.numeric["v"]
    assert steps.tolist() == [5, 6] and numbers.tolist() == [7.0, float(2**70)]
    assert "flag" not in chunk.numeric
    assert chunk.last_values["v"] == values[-1]


def test_it_flags_integer_columns() -> None:
    records = [{"step": i, "time": 0, "data": {"epoch": i // 2, "big": 2**60}} for i in range(4)]
    decoded = decode_chunk(encode_chunk(records, stream="history", first_offset=0).payload)
    assert decoded.columns["epoch"].integer
    assert not decoded.columns["big"].integer  # not exact as a float64
    assert decoded.columns["epoch"].values.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_it_decodes_only_the_keys_asked_for() -> None:
    records = history(3, {"a": 1.0, "b": "x", "c": 2.0})
    payload = encode_chunk(records, stream="history", first_offset=0).payload
    assert chunk_keys(payload) == ["a", "b", "c"]
    decoded = decode_chunk(payload, ["c", "nope"])
    assert list(decoded.columns) == ["c"]
    assert decoded.steps.tolist() == [0, 1, 2]
    assert decode_chunk(payload, []).columns == {}


def test_it_decodes_one_key_without_touching_the_others() -> None:
    payload = encode_chunk(
        history(50, {"a": 1.5, "b": 2.5}), stream="history", first_offset=0
    ).payload
    corrupt = bytearray(payload)
    corrupt[-10:] = b"\xff" * 10  # the last segment is b's values
    assert decode_chunk(bytes(corrupt), ["a"]).columns["a"].values.tolist() == [1.5] * 50
    with pytest.raises(Exception):  # noqa: B017 - any decoding error will do
        decode_chunk(bytes(corrupt), ["b"])


def test_system_steps_default_to_offsets() -> None:
    records: list[dict[str, Any]] = [{"time": 1.0, "data": {"cpu": 10}} for _ in range(3)]
    records[1]["step"] = 99
    chunk = encode_chunk(records, stream="system", first_offset=40)
    assert decode_chunk(chunk.payload).steps.tolist() == [40, 99, 42]
    chunk = encode_chunk([{"time": 1.0, "data": {"cpu": 10}}] * 2, stream="system", first_offset=5)
    assert (chunk.step_min, chunk.step_max) == (5, 6)
    assert decode_chunk(chunk.payload).kind == "system"


def test_console_round_trips() -> None:
    records = [
        {"time": 1.25, "stream": "stdout", "line": "epoch 1 \u2026"},
        {"time": 2, "stream": "stderr", "line": "x" * 65536},
    ]
    chunk = encode_chunk(records, stream="console", first_offset=10)
    assert (chunk.row_count, chunk.step_min, chunk.step_max, chunk.keys) == (2, 10, 11, [])
    decoded = decode_chunk(chunk.payload)
    assert decoded.lines == [(1.25, "stdout", "epoch 1 \u2026"), (2.0, "stderr", "x" * 65536)]
    assert decoded.times.tolist() == [1.25, 2.0]


def bad(records: list[Any], stream: str = "history") -> RecordError:
    with pytest.raises(RecordError) as e:
        encode_chunk(records, stream=stream, first_offset=0)
    return e.value


def nested(depth: int) -> Any:
    v: Any = 1
    for _ in range(depth):
        v = [v]
    return v


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda r: r.update(step="3"), "records[2].step"),
        (lambda r: r.update(step=1.0), "records[2].step"),
        (lambda r: r.update(step=-1), "records[2].step"),
        (lambda r: r.update(step=True), "records[2].step"),
        (lambda r: r.update(step=2**63), "records[2].step"),
        (lambda r: r.pop("step"), "records[2].step"),
        (lambda r: r.pop("time"), "records[2].time"),
        (lambda r: r.update(time=NAN), "records[2].time"),
        (lambda r: r.update(time="now"), "records[2].time"),
        (lambda r: r.update(time=False), "records[2].time"),
        (lambda r: r.pop("data"), "records[2].data"),
        (lambda r: r.update(data=[1]), "records[2].data"),
        (lambda r: r["data"].update({1: 2.0}), "records[2].data"),
        (lambda r: r["data"].update({"": 2.0}), "records[2].data"),
        (lambda r: r["data"].update({"k" * 257: 2.0}), "records[2].data"),
        (lambda r: r["data"].update(loss={1, 2}), "records[2].data.loss"),
        (lambda r: r["data"].update(loss=b"x"), "records[2].data.loss"),
        (lambda r: r["data"].update(loss=10**400), "records[2].data.loss"),
        (lambda r: r["data"].update(m={"a": [1, {2}]}), "records[2].data.m"),
        (lambda r: r["data"].update(m={"a": {3: 1}}), "records[2].data.m"),
        (lambda r: r["data"].update(m=nested(17)), "records[2].data.m"),
        (lambda r: r["data"].update(m=["x" * 70000]), "records[2].data.m"),
        (lambda r: r["data"].update(s="\u00e9" * 40000), "records[2].data.s"),
        (lambda r: r["data"].update(s="\ud800"), "records[2].data.s"),
    ],
)
def test_it_refuses_a_bad_record_naming_the_field(change: Any, field: str) -> None:
    records = history(4)
    for r in records:
        r["data"]["m"] = {"ok": True}
        r["data"]["s"] = "fine"
    change(records[2])
    error = bad(records)
    assert error.field == field
    assert field not in error.args[0]  # the message alone: callers renumber fields
    assert str(error).startswith(field)


def test_it_accepts_values_at_the_limits() -> None:
    records = history(2)
    records[1]["data"].update(
        {"k" * 256: 1.0, "deep": nested(16), "s": "x" * 65536, "m": {"a": "y" * 60000}}
    )
    decoded = decode_chunk(encode_chunk(records, stream="history", first_offset=0).payload)
    assert decoded.columns["deep"].values == [nested(16)]


@pytest.mark.parametrize(
    "record, field",
    [
        ("line", "records[1]"),
        ({"time": 1.0, "stream": "stdin", "line": "x"}, "records[1].stream"),
        ({"time": 1.0, "stream": ["stdout"], "line": "x"}, "records[1].stream"),
        ({"time": 1.0, "stream": "stdout"}, "records[1].line"),
        ({"time": 1.0, "stream": "stdout", "line": 3}, "records[1].line"),
        ({"time": 1.0, "stream": "stdout", "line": "x" * 65537}, "records[1].line"),
        ({"time": 1.0, "stream": "stdout", "line": "\udfff"}, "records[1].line"),
        ({"stream": "stdout", "line": "x"}, "records[1].time"),
    ],
)
def test_it_refuses_a_bad_console_record(record: Any, field: str) -> None:
    ok = {"time": 1.0, "stream": "stdout", "line": "ok"}
    assert bad([ok, record], stream="console").field == field


def test_it_compresses_realistic_metrics_under_12_bytes_a_point() -> None:
    rng = np.random.default_rng(0)
    n = 10_000
    t = np.arange(n)
    columns = {
        "loss": 2.3 * np.exp(-t / 3000) + 0.05 * rng.standard_normal(n),
        "val/loss": 2.1 * np.exp(-t / 3000) + 0.02 * rng.standard_normal(n),
        "acc": 1 - 0.9 * np.exp(-t / 2000) + 0.01 * rng.standard_normal(n),
        "lr": 1e-3 * 0.5 * (1 + np.cos(np.pi * t / n)),
        "grad_norm": rng.lognormal(0, 0.5, n),
        "loss_fp32": (2.3 * np.exp(-t / 3000) + 0.05 * rng.standard_normal(n))
        .astype(np.float32)
        .astype(float),
        "throughput": 1000 + 50 * rng.standard_normal(n),
        "tokens": t * 4096.0,
        "entropy": rng.random(n),
        "kl": np.abs(0.01 * rng.standard_normal(n)),
    }
    lists = {k: v.tolist() for k, v in columns.items()}
    times = (1764500000.0 + t * 0.173 + rng.random(n) * 0.01).tolist()
    records = [
        {"step": i, "time": times[i], "data": {k: lists[k][i] for k in lists}} for i in range(n)
    ]
    chunk = encode_chunk(records, stream="history", first_offset=0)
    assert len(chunk.payload) / (n * len(columns)) < 12
    decoded = decode_chunk(chunk.payload)
    for key, values in columns.items():
        assert same_bits(decoded.columns[key].values, values)
    assert decoded.times.tolist() == times


def test_merge_rows_concatenates_chunks() -> None:
    first = decode_chunk(
        encode_chunk(history(2, {"a": 1.0}), stream="history", first_offset=0).payload
    )
    second_records = history(2, {"a": "x"}, start=2)
    second_records[1]["data"]["b"] = 3.0
    second = decode_chunk(encode_chunk(second_records, stream="history", first_offset=2).payload)
    merged = merge_rows([first, second], ["a", "b"])
    assert merged.row_count == 4 and merged.steps.tolist() == [0, 1, 2, 3]
    assert merged.columns["a"].rows.tolist() == [0, 1, 2, 3]
    assert merged.columns["a"].values == [1.0, 1.0, "x", "x"]
    assert merged.columns["b"].numeric and merged.columns["b"].rows.tolist() == [3]


def export_example() -> list[bytes]:
    records: list[dict[str, Any]] = [
        {"step": 0, "time": 1764500000.25, "data": {"loss": 2.5, "acc": 0.5, "epoch": 0}},
        {"step": 1, "time": 1764500001.0, "data": {"loss": NAN, "epoch": 0, "note": 'a,"b"'}},
        {
            "step": 2,
            "time": 1764500002.5,
            "data": {"loss": -INF, "acc": INF, "epoch": 1, "m": {"v": [NAN, None]}},
        },
        {"step": 3, "time": 1764500003.0, "data": {"other": 1.0}},
    ]
    return [
        encode_chunk(records[:2], stream="history", first_offset=0).payload,
        encode_chunk(records[2:], stream="history", first_offset=2).payload,
    ]


def test_export_jsonl_text() -> None:
    text = b"".join(export_jsonl(export_example(), ["loss", "acc", "epoch", "note", "m"])).decode()
    assert text == (
        '{"step":0,"time":1764500000.25,"loss":2.5,"acc":0.5,"epoch":0}\n'
        '{"step":1,"time":1764500001.0,"loss":NaN,"epoch":0,"note":"a,\\"b\\""}\n'
        '{"step":2,"time":1764500002.5,"loss":-Infinity,"acc":Infinity,"epoch":1,"m":{"v":[NaN,null]}}\n'
    )
    everything = b"".join(export_jsonl(export_example())).decode().splitlines()
    assert everything[-1] == '{"step":3,"time":1764500003.0,"other":1.0}'
    assert [json.loads(line)["step"] for line in everything] == [0, 1, 2, 3]


def test_export_csv_text() -> None:
    text = b"".join(export_csv(export_example(), ["loss", "acc", "a,b", "note", "m"])).decode()
    assert text == (
        'step,time,loss,acc,"a,b",note,m\n'
        "0,1764500000.25,2.5,0.5,,,\n"
        '1,1764500001.0,NaN,,,"a,""b""",\n'
        '2,1764500002.5,-Infinity,Infinity,,,"{""v"":[NaN,null]}"\n'
    )


def test_export_reads_back_the_exact_floats() -> None:
    rng = np.random.default_rng(3)
    values = rng.standard_normal(3000) * 10.0 ** rng.integers(-300, 300, 3000)
    records = [{"step": i, "time": 0.5, "data": {"x": float(v)}} for i, v in enumerate(values)]
    payload = encode_chunk(records, stream="history", first_offset=0).payload
    lines = b"".join(export_jsonl([payload], ["x"])).splitlines()
    assert same_bits(np.array([json.loads(line)["x"] for line in lines]), values)
