"""What the server would refuse is never dropped silently: log() warns, finish() counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import agent
from agent import _spool
from agent._values import MAX_KEY_LENGTH, MAX_VALUE_BYTES, key_problem, value_problem
from tests.agent.conftest import run_dirs, run_script, spool_records
from tests.serverproc import ServerProcess


def _env(server: Any) -> dict[str, str]:
    return {"CAIRN_BASE_URL": server.url, "CAIRN_API_KEY": server.api_key, "CAIRN_ORG": server.org}


def test_it_knows_the_server_limits_at_their_edges() -> None:
    assert key_problem("k" * MAX_KEY_LENGTH) is None
    assert "256 characters" in (key_problem("k" * (MAX_KEY_LENGTH + 1)) or "")
    assert key_problem("") == "keys must not be empty"
    assert value_problem("x" * MAX_VALUE_BYTES) is None
    assert "65536 bytes" in (value_problem("x" * (MAX_VALUE_BYTES + 1)) or "")
    assert value_problem("é" * (MAX_VALUE_BYTES // 2)) is None  # two bytes each
    assert value_problem("é" * (MAX_VALUE_BYTES // 2) + "x") is not None
    assert value_problem("\x00" * (MAX_VALUE_BYTES // 3 + 1)) is not None  # sent as U+FFFD
    nested: Any = 1
    for _ in range(16):
        nested = [nested]
    assert value_problem(nested) is None
    assert "nested at most 16" in (value_problem([nested]) or "")
    assert value_problem({"_type": "x", "s": "y" * MAX_VALUE_BYTES}) is not None
    assert value_problem(2.5) is None and value_problem(10**400) is None


def test_a_value_past_the_limits_warns_at_log_naming_key_and_limit(tmp_path: Path) -> None:
    run = agent.init(project="p", mode="offline", dir=str(tmp_path), settings={"quiet": True})
    long_key = "k" * 300
    with pytest.warns(agent.AgentWarning) as caught:
        run.log(
            {
                "text": "x" * 100_000,
                "loss": 0.5,
                "nested": {"note": "short", long_key: 1.0},
                "": 2,
                "ref": {"_type": "custom", "blob": "y" * 70_000},
            }
        )
    messages = sorted(str(w.message) for w in caught)
    assert messages == [
        "cairn: not logged: key '': keys must not be empty",
        f"cairn: not logged: key {'nested/' + 'k' * 33!r}… (307 characters): keys may be at"
        " most 256 characters long (the server's limit)",
        "cairn: not logged: key 'ref': a value may hold at most 65536 bytes of JSON"
        " (the server's limit)",
        "cairn: not logged: key 'text': strings may hold at most 65536 bytes of UTF-8"
        " (the server's limit)",
    ]
    run.finish(quiet=True)
    rows = spool_records(run_dirs(tmp_path)[0], kind=_spool.HISTORY)
    assert [r[2] for r in rows] == [{"loss": 0.5, "nested/note": "short"}]


@pytest.mark.server
def test_a_long_string_is_refused_at_log_and_the_rest_of_its_row_stored(
    cairn_server: Any, tmp_path: Path
) -> None:
    result = run_script(
        """
        import agent
        with agent.init(project="limits", id="long-string-1"):
            agent.log({"text": "x" * 100 * 1024, "loss": 0.5, "phase": "train"})
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    assert (
        "not logged: key 'text': strings may hold at most 65536 bytes of UTF-8 (the server's limit)"
    ) in result.stderr
    assert "not stored" not in result.stderr  # nothing the server had to refuse
    run = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key).run(
        f"{cairn_server.org}/limits/long-string-1"
    )
    assert [(r["loss"], r["phase"], "text" in r) for r in run.scan_history()] == [
        (0.5, "train", False)
    ]


@pytest.mark.server
def test_what_the_server_refuses_anyway_is_counted_and_finish_says_so(
    cairn_server: Any, tmp_path: Path
) -> None:
    # Rows of numbers take log()'s hot path, unchecked. A key past the limits
    # there is left out in the background; an integer past float64 (no check
    # costs log() that) is refused by the server. The rest of each row is stored.
    # A console line is cut at 64 Ki characters, and 40,000 "é" hold 80,000
    # bytes: the server refuses the line, which is sent empty.
    result = run_script(
        f"""
        import agent
        with agent.init(project="limits", id="refused-1", settings={{"quiet": True}}):
            agent.log({{"loss": 0.5, "{"k" * 300}": 1.0}})
            agent.log({{"loss": 0.25, "huge": 10**400}})
            agent.log({{"loss": 0.125}})
            print("é" * 40_000)
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    run_dir = run_dirs(tmp_path)[0]
    debug_log = run_dir / "debug.log"
    assert (
        f"cairn: 2 values and 1 record of this run were not stored: the server refuses them"
        f" (details in {debug_log})"
    ) in result.stderr
    log = debug_log.read_text()
    assert "left out key 'kkkk" in log and "(300 characters) at step 0" in log
    assert "history: the server refused value 'huge' of record 1" in log
    assert "console: the server refused record 0" in log
    state = json.loads((run_dir / "state.json").read_text())
    assert state["upload"]["refused"] == {"records": 1, "values": 2}
    run = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key).run(
        f"{cairn_server.org}/limits/refused-1"
    )
    assert [r["loss"] for r in run.scan_history()] == [0.5, 0.25, 0.125]
    assert run.state == "finished"


@pytest.mark.server
def test_a_row_too_large_for_the_server_even_alone_is_sent_empty_and_counted(
    tmp_path: Path,
) -> None:
    # The server's body limit lowered below one row: 413 halves the batch down
    # to that row alone, which would then block the stream for good.
    server = ServerProcess(tmp_path / "server", extra_env={"CAIRN_MAX_BODY_SIZE": "200000"})
    try:
        server.start()
        result = run_script(
            """
            import agent
            with agent.init(project="limits", id="too-large-1", settings={"quiet": True}):
                agent.log({"loss": 0.5})
                agent.log({f"text{i}": str(i) * 60_000 for i in range(4)})
                agent.log({"loss": 0.25})
            """,
            tmp_path,
            env=_env(server),
        )
        run_dir = run_dirs(tmp_path)[0]
        assert (
            "cairn: 1 record of this run was not stored: the server refuses it"
            f" (details in {run_dir / 'debug.log'})"
        ) in result.stderr
        assert "history: the server refused record 1" in (run_dir / "debug.log").read_text()
        run = agent.Api(base_url=server.url, api_key=server.api_key).run(
            f"{server.org}/limits/too-large-1"
        )
        assert [(r["_step"], r["loss"]) for r in run.scan_history()] == [(0, 0.5), (2, 0.25)]
        # The empty row holds its place: offsets stay contiguous.
        assert run.streams["history"] == 3 and run.state == "finished"
    finally:
        server.cleanup()
