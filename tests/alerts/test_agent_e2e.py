"""Alerts end to end: training scripts in their own processes, a real server (gunicorn and a
Celery worker on the real broker), and a real local HTTP receiver."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.agent.conftest import run_script
from tests.alerts.receiver import Receiver
from tests.serverproc import ROOT, ServerProcess

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = ServerProcess(
        tmp_path_factory.mktemp("alerts-server"),
        extra_env={
            "CAIRN_ALERT_WEBHOOK_ALLOW": "127.0.0.1/32",
            "CAIRN_ALERT_RULE_CACHE_SECONDS": "0",
            "CAIRN_HEARTBEAT_TIMEOUT": "3",
            "CAIRN_DEAD_RUN_CHECK_INTERVAL": "1",
        },
    )
    s.start()
    yield s
    s.cleanup()


def _api(server: ServerProcess, method: str, path: str, **body: Any) -> Any:
    r = requests.request(
        method, f"{server.url}/api/v1/{path}", json=body or None,
        headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30,
    )
    assert r.status_code < 300, r.text
    return r.json()


def _setup(server: ServerProcess, project: str, receiver: Receiver, **rule: Any) -> None:
    _api(server, "PUT", f"projects/{server.org}/{project}/runs/setup")  # makes the project
    _api(server, "POST", f"projects/{server.org}/{project}/runs/setup/finish", exit_code=0)
    hook = _api(server, "POST", f"orgs/{server.org}/alert-channels", name=f"hook-{project}", kind="webhook", url=receiver.url)
    _api(server, "POST", f"projects/{server.org}/{project}/alert-rules", channels=[hook["id"]], **rule)


def _env(server: ServerProcess) -> dict[str, str]:
    return {"CAIRN_BASE_URL": server.url, "CAIRN_API_KEY": server.api_key, "CAIRN_ORG": server.org}


def test_a_sigkilled_training_process_alerts_once(server: ServerProcess, receiver: Receiver, tmp_path: Path) -> None:
    _setup(server, "crash", receiver, kind="run_failed", name="crashed")
    (tmp_path / "train.py").write_text(textwrap.dedent("""
        import time, agent
        run = agent.init(project="crash", id="killed")
        for i in range(10**9):
            run.log({"i": i})
            time.sleep(0.01)
    """))
    proc = subprocess.Popen([sys.executable, "train.py"], cwd=str(tmp_path),
                            env=dict(os.environ, PYTHONPATH=str(ROOT), **_env(server)))
    time.sleep(3)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    [got] = receiver.wait(1, timeout=60)
    assert got.json()["run"]["id"] == "killed" and got.json()["run"]["state"] == "crashed"
    time.sleep(6)  # the dead-run check runs every second: it must not announce it again
    assert len(receiver.got) == 1


def test_agent_alert_repeats_within_wait_duration_are_one_delivery(
    server: ServerProcess, receiver: Receiver, tmp_path: Path
) -> None:
    _setup(server, "merge", receiver, kind="agent_alert")
    run_script(
        """
        import agent as wandb
        run = wandb.init(project="merge", id="m1")
        for step in range(5):
            wandb.alert(title="Loss diverged", text=f"loss=nan at step {step}", level=wandb.AlertLevel.WARN,
                        wait_duration=300)
        wandb.alert(title="Other", text="a different title is its own alert")
        run.finish()
        """,
        tmp_path, env=_env(server),
    )
    got = receiver.wait(2, timeout=30)
    assert sorted(g.json()["title"] for g in got) == ["Loss diverged", "Other"]
    time.sleep(2)
    assert len(receiver.got) == 2
    alerts = _api(server, "GET", f"projects/{server.org}/merge/runs/m1/alerts")["results"]
    assert {a["title"]: a["count"] for a in alerts} == {"Loss diverged": 5, "Other": 1}


def test_a_threshold_crossed_in_training_reaches_the_receiver(
    server: ServerProcess, receiver: Receiver, tmp_path: Path
) -> None:
    _setup(server, "thresh", receiver, kind="metric", condition="val/loss > 5")
    run_script(
        """
        import agent
        run = agent.init(project="thresh", id="t1")
        for step in range(100):
            run.log({"val/loss": 0.1 * step})
        run.finish()
        """,
        tmp_path, env=_env(server),
    )
    [got] = receiver.wait(1, timeout=30)
    assert got.json()["text"].startswith("val/loss = 5.1 at step 51")
