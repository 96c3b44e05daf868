"""``run.alert()`` from a training script to the server's list of the run's alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.agent.conftest import run_script

pytestmark = pytest.mark.server


def _alerts(server: Any, project: str, run_id: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{server.url}/api/v1/projects/{server.org}/{project}/runs/{run_id}/alerts",
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=30,
    )
    response.raise_for_status()
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_repeats_within_wait_duration_are_counted_once_and_the_server_lists_them(
    cairn_server: Any, tmp_path: Path
) -> None:
    run_script(
        """
        from datetime import timedelta
        import time
        import agent as wandb

        run = wandb.init(project="alerts", id="alert-1")
        for step in range(5):
            wandb.alert(title="loss is NaN", text=f"at step {step}", level=wandb.AlertLevel.ERROR,
                        wait_duration=timedelta(minutes=5))
        run.alert("slow epoch", "epoch 3 took 2 h", level="WARN")
        time.sleep(0.01)
        run.alert("done", "training finished")  # INFO by default
        run.alert("done", "training finished")  # no wait_duration: a new alert each time
        """,
        tmp_path,
        env={"CAIRN_BASE_URL": cairn_server.url, "CAIRN_API_KEY": cairn_server.api_key, "CAIRN_ORG": cairn_server.org},
    )
    alerts = _alerts(cairn_server, "alerts", "alert-1")
    assert [(a["title"], a["level"], a["count"]) for a in alerts][-2:] == [
        ("slow epoch", "WARN", 1),
        ("loss is NaN", "ERROR", 5),
    ]
    assert alerts[-1]["text"] == "at step 0"  # the first one's text; the repeats are counted on it
    assert [(a["title"], a["level"]) for a in alerts[:2]] == [("done", "INFO"), ("done", "INFO")]


def test_an_offline_runs_alerts_arrive_with_cairn_sync(cairn_server: Any, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.agent.conftest import ROOT, run_dirs

    run_script(
        """
        import agent as wandb
        with wandb.init(project="alerts", id="alert-off", mode="offline") as run:
            run.alert("offline alert", "kept in the spool")
        """,
        tmp_path,
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), CAIRN_BASE_URL=cairn_server.url,
               CAIRN_API_KEY=cairn_server.api_key, CAIRN_ORG=cairn_server.org)
    subprocess.run([sys.executable, "-m", "agent.cli", "sync", str(run_dirs(tmp_path)[0])],
                   env=env, check=True, capture_output=True, timeout=120)
    assert [a["title"] for a in _alerts(cairn_server, "alerts", "alert-off")] == ["offline alert"]
