"""The embedded broker: a worker polling the queue never reads half a message."""

from __future__ import annotations

import threading
from pathlib import Path

from kombu import Connection

from webapp.fsbroker import Transport


def _connection(folder: Path) -> Connection:
    return Connection(
        "filesystem://localhost//",
        transport=Transport,
        transport_options={
            "data_folder_in": str(folder), "data_folder_out": str(folder), "store_processed": False,
            "polling_interval": 0.001,  # the reader looks as often as it can
        },
    )


def test_messages_read_while_being_written_are_whole(tmp_path: Path) -> None:
    folder = tmp_path / "queue"
    folder.mkdir()
    total, payload = 3000, "x" * 20_000  # many writes: many chances to catch one half done
    received: list[dict[str, object]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        with _connection(folder) as conn:
            queue = conn.SimpleQueue("q")
            try:
                while len(received) < total:
                    message = queue.get(timeout=30)
                    received.append(message.payload)
                    message.ack()
            except BaseException as e:  # a half-read message fails to decode here
                errors.append(e)
            finally:
                done.set()

    reader = threading.Thread(target=read)
    reader.start()
    with _connection(folder) as conn:
        queue = conn.SimpleQueue("q")
        for i in range(total):
            queue.put({"i": i, "data": payload})
    done.wait(60)
    reader.join(5)
    assert not errors, errors[0]
    assert sorted(int(m["i"]) for m in received) == list(range(total))  # type: ignore[call-overload]
    assert all(m["data"] == payload for m in received)
    assert not list(folder.glob("*.partial"))
