"""Many processes, one run: offsets per writer, retries checked by content,
shared runs finished by their primary (docs/protocol.md, Writers)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.runs.history import run_history_compact
from apps.runs.models import HistoryChunk, Run, RunWriter
from apps.runs.services import runs_mark_crashed
from tests.factories import World, world_create

pytestmark = pytest.mark.django_db
RUN = "/api/v1/projects/acme/secret/runs/r1"


@pytest.fixture
def world() -> World:
    w = world_create()
    assert w.member.client().put(RUN, {}, format="json").status_code == 201
    return w


def rows(key: str, start: int, n: int) -> list[dict[str, Any]]:
    return [{"step": s, "time": 1000.0 + s, "data": {key: float(s)}} for s in range(start, start + n)]


def declare(w: World, writer: str, **fields: Any) -> Any:
    response = w.member.client().put(RUN, {"writer": {"id": writer, **fields}}, format="json")
    assert response.status_code in (200, 201), response.content
    return response.json()


def append(w: World, offset: int, records: list[Any], writer: str | None, stream: str = "history") -> Any:
    body: dict[str, Any] = {"offset": offset, "records": records}
    if writer is not None:
        body["writer"] = writer
    return w.member.client().post(f"{RUN}/streams/{stream}", body, format="json")


def exported(w: World, keys: str) -> list[dict[str, Any]]:
    response = w.member.client().get(f"{RUN}/history/export", {"keys": keys})
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]


def test_four_writers_at_the_same_offsets_are_all_stored(world: World) -> None:
    for rank in range(4):
        declare(world, f"rank-{rank}", shared=True)
    # Interleaved, as four processes would send them: every batch at the same offsets.
    for start in range(0, 2000, 500):
        for rank in range(4):
            response = append(world, start, rows(f"rank{rank}/loss", start, 500), f"rank-{rank}")
            assert response.json() == {"next_offset": start + 500, "stored": 500}
    for rank in range(4):
        got = exported(world, f"rank{rank}/loss")
        assert [r["step"] for r in got] == list(range(2000))
        assert all(r[f"rank{rank}/loss"] == r["step"] for r in got)
    assert Run.objects.get().history_offset == 8000


def test_a_retry_from_the_same_writer_is_stored_once(world: World) -> None:
    declare(world, "w1")
    assert append(world, 0, rows("x", 0, 10), "w1").json()["stored"] == 10
    again = append(world, 0, rows("x", 0, 10), "w1")
    assert again.status_code == 200 and again.json() == {"next_offset": 10, "stored": 0}
    overlap = append(world, 5, rows("x", 5, 10), "w1")
    assert overlap.json() == {"next_offset": 15, "stored": 5}
    assert [r["step"] for r in exported(world, "x")] == list(range(15))


def test_other_content_at_a_writers_filled_offsets_is_a_409_and_nothing_is_stored(world: World) -> None:
    declare(world, "w1")
    append(world, 0, rows("x", 0, 10), "w1")
    clash = append(world, 0, rows("y", 0, 10), "w1")
    assert clash.status_code == 409
    assert clash.json()["conflict"] == "content" and "same writer" in clash.json()["error"]
    assert exported(world, "y") == []
    # An overlap whose old part differs is refused whole: its new tail is not stored either.
    assert append(world, 5, rows("x", 6, 10), "w1").status_code == 409
    assert [r["step"] for r in exported(world, "x")] == list(range(10))


def test_a_client_without_writer_ids_keeps_retries_and_is_refused_as_a_second_writer(world: World) -> None:
    assert append(world, 0, rows("a", 0, 10), None).json()["stored"] == 10
    assert append(world, 0, rows("a", 0, 10), None).json() == {"next_offset": 10, "stored": 0}
    # A second old process on the same run sends its own rows at offset 0: refused, never acknowledged.
    second = append(world, 0, rows("b", 0, 10), None)
    assert second.status_code == 409 and second.json()["conflict"] == "content"
    assert exported(world, "b") == []


def test_a_client_without_writer_ids_cannot_take_a_writers_rows_for_its_own(world: World) -> None:
    declare(world, "w1")
    append(world, 0, rows("x", 0, 10), "w1")
    assert append(world, 0, rows("a", 0, 10), None).status_code == 409


def test_a_writer_restarted_with_its_label_continues_its_offsets(world: World) -> None:
    declare(world, "rank-1", label="rank-1", shared=True)
    append(world, 0, rows("x", 0, 30), "rank-1")
    again = declare(world, "rank-1", label="rank-1", shared=True)
    assert again["writer"]["streams"]["history"] == 30
    assert append(world, 30, rows("x", 30, 5), "rank-1").json() == {"next_offset": 35, "stored": 5}


def test_create_answers_with_the_writers_offsets_and_the_other_live_writers(world: World) -> None:
    first = declare(world, "a1", label="a1", host="gpu01", pid=11)
    assert first["writer"]["streams"] == {"history": 0, "system": 0, "console": 0}
    assert first["other_writers"] == [] and first["shared"] is False
    second = declare(world, "b2", host="gpu02", pid=22)
    assert [(w["id"], w["host"], w["pid"]) for w in second["other_writers"]] == [("a1", "gpu01", 11)]
    listed = world.member.client().get(f"{RUN}/writers").json()["results"]
    assert sorted(w["id"] for w in listed) == ["a1", "b2"]
    RunWriter.objects.filter(writer_id="a1").update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert declare(world, "b2")["other_writers"] == []


def test_a_shared_writers_system_metrics_and_console_are_kept_apart(world: World) -> None:
    for rank in (0, 1):
        declare(world, f"rank-{rank}", label=f"rank-{rank}", shared=True, primary=rank == 0)
        system = [{"time": 1000.0 + i, "data": {"cpu.percent": 10.0 * rank + i}} for i in range(3)]
        assert append(world, 0, system, f"rank-{rank}", "system").json()["stored"] == 3
        console = [{"time": 1000.0, "stream": "stdout", "line": f"hello from {rank}"}]
        assert append(world, 0, console, f"rank-{rank}", "console").json()["stored"] == 1
    c = world.member.client()
    series = c.get(f"{RUN}/history", {"stream": "system"}).json()["series"]
    assert series["rank-0/cpu.percent"]["values"] == [0.0, 1.0, 2.0]
    assert series["rank-1/cpu.percent"]["values"] == [10.0, 11.0, 12.0]
    everyone = c.get(f"{RUN}/console").json()["lines"]
    assert [(line["writer"], line["line"]) for line in everyone] == [("rank-0", "hello from 0"), ("rank-1", "hello from 1")]
    one = c.get(f"{RUN}/console", {"writer": "rank-1"}).json()["lines"]
    assert [line["line"] for line in one] == ["hello from 1"]
    assert c.get(f"{RUN}/console", {"writer": "rank-9"}).status_code == 404
    assert c.get(f"{RUN}/console", {"writer": "a/b"}).status_code == 400


def test_one_writers_lines_are_read_from_its_own_line_numbers(world: World) -> None:
    for rank in (0, 1):
        declare(world, f"rank-{rank}", label=f"rank-{rank}", shared=True)
    # Interleaved batches of 3 lines: rank-1's lines are at the run's offsets 3-5 and 9-11.
    for batch in range(2):
        for rank in (0, 1):
            lines = [{"time": 1000.0, "stream": "stdout", "line": f"{rank}:{3 * batch + i}"} for i in range(3)]
            assert append(world, 3 * batch, lines, f"rank-{rank}", "console").json()["stored"] == 3
    c = world.member.client()

    def read(**params: Any) -> tuple[list[tuple[int, str]], int]:
        body = c.get(f"{RUN}/console", params).json()
        return [(line["offset"], line["line"]) for line in body["lines"]], body["next_offset"]

    # Its last four lines: from its line 2, in the first batch, to the end.
    assert read(writer="rank-1", writer_offset=2) == ([(5, "1:2"), (9, "1:3"), (10, "1:4"), (11, "1:5")], 12)
    assert read(writer="rank-1", writer_offset=3, limit=1) == ([(9, "1:3")], 10)
    # Past its last line: nothing, and the next read starts at the run's end.
    assert read(writer="rank-1", writer_offset=6) == ([], 12)
    assert read(writer="rank-0", writer_offset=0, limit=2) == ([(0, "0:0"), (1, "0:1")], 2)
    # Without a writer, the run's own offsets.
    assert read(writer_offset=10) == read(offset=10)
    assert c.get(f"{RUN}/console", {"writer": "rank-1", "writer_offset": "-1"}).status_code == 400


def test_a_shared_writers_config_adds_to_the_runs(world: World) -> None:
    c = world.member.client()
    c.put(RUN, {"config": {"lr": 0.1}, "writer": {"id": "rank-0", "shared": True, "primary": True}}, format="json")
    c.put(RUN, {"config": {"rank1_seed": 7}, "writer": {"id": "rank-1", "shared": True}}, format="json")
    assert Run.objects.get().config == {"lr": 0.1, "rank1_seed": 7}


def finish(w: World, writer: str, exit_code: int = 0) -> Any:
    response = w.member.client().post(f"{RUN}/finish", {"exit_code": exit_code, "writer": writer}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_shared_run_finishes_with_its_primary(world: World) -> None:
    for rank in range(3):
        declare(world, f"rank-{rank}", shared=True, primary=rank == 0)
    assert finish(world, "rank-1")["state"] == "running"
    assert finish(world, "rank-0")["state"] == "finished"
    assert RunWriter.objects.get(writer_id="rank-2").finished_at is None


def test_a_shared_run_with_no_primary_finishes_with_its_last_writer_failed_if_one_failed(world: World) -> None:
    for rank in range(3):
        declare(world, f"rank-{rank}", shared=True)
    assert finish(world, "rank-0")["state"] == "running"
    assert finish(world, "rank-1", exit_code=3)["state"] == "running"
    last = finish(world, "rank-2")
    assert last["state"] == "failed" and last["exit_code"] == 3


def test_a_shared_run_crashes_when_its_primary_dies(world: World) -> None:
    for rank in range(2):
        declare(world, f"rank-{rank}", shared=True, primary=rank == 0)
    RunWriter.objects.filter(writer_id="rank-0").update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    # rank-1 still writes, so the run itself looks alive.
    append(world, 0, rows("x", 0, 3), "rank-1")
    assert runs_mark_crashed(older_than_seconds=300) == 1
    assert Run.objects.get().state == "crashed"


def test_compaction_keeps_writers_apart_and_retries_still_match(world: World) -> None:
    for rank in range(2):
        declare(world, f"rank-{rank}", shared=True)
    for start in range(0, 40, 10):
        for rank in range(2):
            append(world, start, rows(f"k{rank}", start, 10), f"rank-{rank}")
            if start == 10 and rank == 0:
                append(world, 20, rows("k0", 20, 10), "rank-0")
    # Back to back for their writer and for the run: rank-0's batches at 10 and 20,
    # then rank-1's at 10 and 20 (rank-0's retry at 20 stored nothing). No other pair.
    assert run_history_compact(run_pk=Run.objects.get().pk) == 2
    assert all(chunk.writer is not None for chunk in HistoryChunk.objects.filter(stream=0))
    assert append(world, 10, rows("k0", 10, 20), "rank-0").json()["stored"] == 0
    assert append(world, 10, rows("k1", 10, 20), "rank-0").status_code == 409
    assert [r["step"] for r in exported(world, "k0")] == list(range(40))


@pytest.mark.parametrize("writer", ["", "a b", "x" * 65, "a/b", 5, True])
def test_a_writer_id_outside_the_rule_is_a_400(world: World, writer: Any) -> None:
    response = append(world, 0, rows("x", 0, 1), writer)
    assert response.status_code == 400 and response.json()["field"] == "writer"
    put = world.member.client().put(RUN, {"writer": {"id": writer}}, format="json")
    assert put.status_code == 400 and put.json()["field"] == "writer.id"


def test_an_outsider_cannot_list_a_private_runs_writers(world: World) -> None:
    declare(world, "w1")
    assert world.outsider.client().get(f"{RUN}/writers").status_code == 404
    assert world.anonymous.client().get(f"{RUN}/writers").status_code == 404
