"""Many processes, one run, against a real server: nothing any of them logs is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import agent
from agent._writer import launcher_rank, shared_run_id, writer_identity
from tests.agent.conftest import ROOT, run_dirs
from tests.agent.test_faults import wait_done

pytestmark = pytest.mark.server


def _env(server: Any, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CAIRN_BASE_URL=server.url,
        CAIRN_API_KEY=server.api_key,
        CAIRN_ORG=server.org,
    )
    env.update(extra)
    return env


def _start(code: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / "train.py").write_text(textwrap.dedent(code))
    return subprocess.Popen(
        [sys.executable, "train.py"], cwd=str(cwd), env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _finish_all(procs: list[subprocess.Popen[str]]) -> list[str]:
    errors = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, f"{out}\n{err}"
        errors.append(err)
    return errors


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)


def _run(server: Any, path: str) -> Any:
    return agent.Api(base_url=server.url, api_key=server.api_key).run(f"{server.org}/{path}")


def _steps(run: Any, key: str) -> list[int]:
    return [r["_step"] for r in run.scan_history(keys=[key]) if key in r]


FOUR_RANKS = """
    import os, time, agent
    rank = int(os.environ["RANK"])
    run = agent.init(project="dist", id="{run_id}", resume="allow", group="ddp"{extra})
    for step in range(2000):
        run.log({{f"rank{{rank}}/loss": 1.0 / (step + 1)}}, step=step)
    print(f"hello from rank {{rank}}")
    time.sleep({pause})  # long enough for a system metrics sample, or not
    run.finish()
"""


def test_four_processes_on_one_run_keep_all_8000_rows(cairn_server: Any, tmp_path: Path) -> None:
    # The case, as written: no shared=True, every process at once.
    code = FOUR_RANKS.format(run_id="ddp-run-1", extra="", pause=0)
    procs = [_start(code, tmp_path / f"r{r}", _env(cairn_server, RANK=str(r))) for r in range(4)]
    _finish_all(procs)
    run = _run(cairn_server, "dist/ddp-run-1")
    for rank in range(4):
        assert _steps(run, f"rank{rank}/loss") == list(range(2000)), rank
    assert run.streams["history"] == 8000
    assert len(run.writers()) == 4


def test_a_rank_that_opens_the_run_after_another_uploaded_keeps_its_own_steps(cairn_server: Any, tmp_path: Path) -> None:
    # The race of the case above made certain: rank 0's rows are on the server,
    # rank 0 still running, when rank 1 opens the run. Rank 1 counts its own steps.
    code = FOUR_RANKS.format(run_id="ddp-late-1", extra="", pause=8)
    first = _start(code, tmp_path / "r0", _env(cairn_server, RANK="0"))
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if _steps(_run(cairn_server, "dist/ddp-late-1"), "rank0/loss")[-1:] == [1999]:
                break
        except agent.NotFound:
            pass
        time.sleep(0.3)
    late = _start(code, tmp_path / "r1", _env(cairn_server, RANK="1"))
    _finish_all([first, late])
    run = _run(cairn_server, "dist/ddp-late-1")
    assert _steps(run, "rank0/loss") == list(range(2000))
    assert _steps(run, "rank1/loss") == list(range(2000))


# Each rank stays until the server has one of its system samples: a rank's background
# process samples once it has started (its environment captured), which a loaded
# machine can put past any fixed pause.
SHARED_RANKS = FOUR_RANKS.replace(
    "time.sleep({pause})  # long enough for a system metrics sample, or not",
    """deadline = time.time() + 120
    while time.time() < deadline:
        rows = agent.Api().run(f"{{os.environ['CAIRN_ORG']}}/dist/{{run.id}}").history(stream="system", pandas=False)
        if any(k.startswith(f"rank-{{rank}}/") for row in rows for k in row):
            break
        time.sleep(0.5)""",
)


def test_a_shared_run_keeps_each_ranks_console_and_system_metrics(cairn_server: Any, tmp_path: Path) -> None:
    code = SHARED_RANKS.format(run_id="ddp-shared-1", extra=", shared=True")
    procs = [
        _start(code, tmp_path / f"r{r}", _env(cairn_server, RANK=str(r), WORLD_SIZE="4", LOCAL_RANK=str(r), CAIRN_SYSTEM_INTERVAL="1"))
        for r in range(4)
    ]
    errors = _finish_all(procs)
    assert not any("another live process" in e for e in errors)
    run = _run(cairn_server, "dist/ddp-shared-1")
    assert run.state == "finished" and run.shared is True
    writers = {w["label"]: w for w in run.writers()}
    assert sorted(writers) == ["rank-0", "rank-1", "rank-2", "rank-3"]
    assert [w["primary"] for _, w in sorted(writers.items())] == [True, False, False, False]
    for rank in range(4):
        assert _steps(run, f"rank{rank}/loss") == list(range(2000))
        lines = [line["line"] for line in run.console(writer=f"rank-{rank}")]
        assert lines == [f"hello from rank {rank}"]
    system = {key for row in run.history(stream="system", pandas=False) for key in row}
    assert {k.split("/")[0] for k in system if "/" in k} == {"rank-0", "rank-1", "rank-2", "rank-3"}, (list(system), run.streams)


def test_a_second_live_process_on_a_run_not_shared_is_warned_and_loses_nothing(
    cairn_server: Any, tmp_path: Path
) -> None:
    first = _start(
        """
        import os, time, agent
        run = agent.init(project="dist", id="twice-1")
        open("started", "w").close()
        while not os.path.exists("go"):
            time.sleep(0.05)
        for step in range(300):
            run.log({"a": step})
        run.finish()
        """,
        tmp_path / "a",
        _env(cairn_server),
    )
    _wait_for(tmp_path / "a" / "started", first)
    second = _start(
        """
        import agent
        run = agent.init(project="dist", id="twice-1")
        open("started", "w").close()
        for step in range(200):
            run.log({"b": step})
        run.finish()
        """,
        tmp_path / "b",
        _env(cairn_server),
    )
    _wait_for(tmp_path / "b" / "started", second)
    (tmp_path / "a" / "go").touch()
    first_err, second_err = _finish_all([first, second])
    assert "another live process" not in first_err
    assert "twice-1 is being written by another live process (pid" in second_err
    assert "shared=True" in second_err
    run = _run(cairn_server, "dist/twice-1")
    assert len(_steps(run, "a")) == 300 and len(_steps(run, "b")) == 200
    assert run.streams["history"] == 500


def test_a_rank_killed_and_restarted_with_its_label_continues_its_offsets(
    cairn_server: Any, tmp_path: Path
) -> None:
    killed = _start(
        """
        import os, signal, agent
        run = agent.init(project="dist", id="restart-1", shared=True, label="worker-a")
        for step in range(500):
            run.log({"a": step}, step=step)
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        tmp_path / "first",
        _env(cairn_server),
    )
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL
    # Its background process uploads what the spool holds, then stops.
    wait_done(run_dirs(tmp_path / "first")[0], timeout=60)
    again = _start(
        """
        import agent
        run = agent.init(project="dist", id="restart-1", shared=True, label="worker-a")
        for step in range(500, 800):
            run.log({"a": step}, step=step)
        run.finish()
        """,
        tmp_path / "second",
        _env(cairn_server),
    )
    _finish_all([again])
    run = _run(cairn_server, "dist/restart-1")
    assert _steps(run, "a") == list(range(800))
    (writer,) = run.writers()
    assert writer["label"] == "worker-a" and writer["streams"]["history"] == 800


def test_two_live_processes_with_one_label_lose_nothing(cairn_server: Any, tmp_path: Path) -> None:
    code = """
        import os, agent
        who = os.environ["WHO"]
        run = agent.init(project="dist", id="same-label-1", shared=True, label="dup")
        for step in range(1000):
            run.log({who: step}, step=step)
        run.finish()
    """
    procs = [_start(code, tmp_path / who, _env(cairn_server, WHO=who)) for who in ("x", "y")]
    _finish_all(procs)
    run = _run(cairn_server, "dist/same-label-1")
    assert _steps(run, "x") == list(range(1000))
    assert _steps(run, "y") == list(range(1000))


def test_rank_zero_only_keeps_rank_zeros_metrics_and_every_ranks_console(cairn_server: Any, tmp_path: Path) -> None:
    code = """
        import os, agent
        rank = int(os.environ["RANK"])
        run = agent.init(project="dist", id="rank-zero-1", shared=True, settings={"rank_zero_only": True})
        for step in range(100):
            run.log({"loss": rank * 1000 + step}, step=step)
        print(f"rank {rank} done")
        run.finish()
    """
    procs = [_start(code, tmp_path / f"r{r}", _env(cairn_server, RANK=str(r))) for r in range(2)]
    _finish_all(procs)
    run = _run(cairn_server, "dist/rank-zero-1")
    assert [r["loss"] for r in run.scan_history(keys=["loss"])] == list(range(100))
    assert {line["line"] for line in run.console()} == {"rank 0 done", "rank 1 done"}


@pytest.mark.parametrize(
    ("environ", "rank"),
    [
        ({"RANK": "3", "LOCAL_RANK": "1", "WORLD_SIZE": "8"}, 3),  # torchrun, Accelerate
        ({"SLURM_PROCID": "5", "SLURM_LOCALID": "1", "SLURM_NTASKS": "8"}, 5),
        ({"OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "4"}, 2),
        ({"PMI_RANK": "1"}, 1),
        ({"NODE_RANK": "1", "LOCAL_RANK": "2", "LOCAL_WORLD_SIZE": "4"}, 6),  # Lightning's launcher
        ({"RANK": "x"}, None),
        ({}, None),
    ],
)
def test_the_rank_comes_from_the_launchers_environment(environ: dict[str, str], rank: Any) -> None:
    found = launcher_rank(environ)
    assert (found["rank"] if found else None) == rank
    identity = writer_identity(shared=True, label=None, primary=None, environ=environ)
    if rank is not None:
        assert identity["label"] == identity["id"] == f"rank-{rank}"
        assert identity["primary"] is False
    else:
        assert identity["label"].endswith(f"-{os.getpid()}")


def test_rank_zero_is_primary_and_a_label_given_wins() -> None:
    assert writer_identity(shared=True, label=None, primary=None, environ={"RANK": "0"})["primary"] is True
    given = writer_identity(shared=True, label="gpu01", primary=None, environ={"SLURM_PROCID": "0"})
    assert (given["id"], given["label"], given["primary"]) == ("gpu01", "gpu01", True)
    solo = writer_identity(shared=False, label=None, primary=None, environ={"RANK": "0"})
    assert solo["id"] != writer_identity(shared=False, label=None, primary=None, environ={})["id"]
    assert solo["primary"] is False


def test_a_shared_run_without_an_id_takes_the_jobs() -> None:
    assert shared_run_id({"SLURM_JOB_ID": "123456"}) == "123456"
    assert shared_run_id({"TORCHELASTIC_RUN_ID": "none"}) is None
    assert shared_run_id({"TORCHELASTIC_RUN_ID": "job.7:a"}) == "job-7-a"
