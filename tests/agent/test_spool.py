from __future__ import annotations

import marshal
import os
from pathlib import Path

import pytest

from agent import _spool


def _write(run_dir: Path, n: int) -> None:
    writer = _spool.MappedWriter(str(run_dir))
    for i in range(n):
        writer.append(_spool.HISTORY, marshal.dumps((i, 0.0, {"x": float(i)})))
    writer.close()


def _steps(run_dir: Path, writer_done: bool = True) -> list[int]:
    reader = _spool.Reader(str(run_dir), "spool")
    out = []
    while True:
        got = reader.read(max_records=1000, writer_done=writer_done)
        if not got:
            return out
        out.extend(marshal.loads(body)[0] for _, body, _ in got)


def test_it_reads_back_every_record_in_order(tmp_path: Path) -> None:
    _write(tmp_path, 5000)
    assert _steps(tmp_path) == list(range(5000))


def test_it_rotates_segments_and_reads_across_them(tmp_path: Path, monkeypatch: object) -> None:
    writer = _spool.MappedWriter(str(tmp_path))
    big = b"x" * (1 << 20)
    for i in range(10):
        writer.append(_spool.HISTORY, marshal.dumps((i, 0.0, {"blob": big.decode()})))
    writer.close()
    assert len(_spool.list_segments(str(tmp_path), "spool")) > 1
    assert _steps(tmp_path) == list(range(10))


def test_it_skips_a_torn_tail_and_keeps_what_came_before(tmp_path: Path) -> None:
    _write(tmp_path, 100)
    path = _spool.segment_path(str(tmp_path), "spool", 0)
    good = _spool.valid_length(path)
    with open(path, "r+b") as fh:
        data = fh.read(good)
        # Tear the last record: keep its header and half its body.
        fh.truncate(good - 10)
    assert len(data) == good
    assert _steps(tmp_path) == list(range(99))


def test_it_never_decodes_a_record_whose_checksum_is_wrong(tmp_path: Path) -> None:
    _write(tmp_path, 10)
    path = _spool.segment_path(str(tmp_path), "spool", 0)
    with open(path, "r+b") as fh:
        data = bytearray(fh.read())
        # Flip a byte in the body of the 6th record.
        pos = 0
        for _ in range(5):
            n, _crc = _spool.HEADER.unpack_from(data, pos)
            pos += _spool.HEADER_SIZE + n
        data[pos + _spool.HEADER_SIZE + 3] ^= 0xFF
        fh.seek(0)
        fh.write(data)
    assert _steps(tmp_path) == [0, 1, 2, 3, 4]


def test_a_record_not_yet_complete_is_waited_for_while_the_writer_lives(tmp_path: Path) -> None:
    _write(tmp_path, 3)
    path = _spool.segment_path(str(tmp_path), "spool", 0)
    size = _spool.valid_length(path)
    with open(path, "r+b") as fh:
        fh.seek(size)
        body = bytes((_spool.HISTORY,)) + marshal.dumps((3, 0.0, {}))
        fh.write(_spool.HEADER.pack(len(body), 12345) + body)  # wrong checksum
    reader = _spool.Reader(str(tmp_path), "spool")
    assert len(reader.read(writer_done=False)) == 3
    assert reader.read(writer_done=False) == []
    assert reader.torn == 0
    assert reader.read(writer_done=True) == []
    assert reader.torn == 1


def test_file_writer_repairs_a_torn_tail_on_open(tmp_path: Path) -> None:
    writer = _spool.FileWriter(str(tmp_path), "system")
    for i in range(3):
        writer.append(bytes((_spool.SYSTEM,)) + marshal.dumps((float(i), {"cpu": 1.0})))
    writer.close()
    path = _spool.segment_path(str(tmp_path), "system", 0)
    with open(path, "ab") as fh:
        fh.write(b"\x10\x00\x00\x00garbage")
    writer = _spool.FileWriter(str(tmp_path), "system")
    writer.append(bytes((_spool.SYSTEM,)) + marshal.dumps((3.0, {"cpu": 1.0})))
    writer.close()
    reader = _spool.Reader(str(tmp_path), "system")
    times = [marshal.loads(body)[0] for _, body in reader.iter_all()]
    assert times == [0.0, 1.0, 2.0, 3.0]
    assert os.path.getsize(path) == _spool.valid_length(path)


def test_a_run_resumed_within_the_same_second_gets_a_folder_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agent
    from agent import _launch

    monkeypatch.setattr(_launch.time, "strftime", lambda fmt: "20260101_000000")
    for _ in range(3):
        run = agent.init(
            project="p", id="same", mode="offline", dir=str(tmp_path), settings={"quiet": True}
        )
        run.log({"x": 1})
        run.finish(quiet=True)
    names = sorted(p.name for p in (tmp_path / "cairn").iterdir())
    assert names == [
        "run-20260101_000000-same",
        "run-20260101_000000_2-same",
        "run-20260101_000000_3-same",
    ]
    assert run.step == 3  # each session went on from the last one's spool
