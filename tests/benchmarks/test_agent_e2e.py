"""agent.init(benchmark=...) against a real server and worker: the run is
entered when it finishes and scored by the worker on the scoring queue."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import requests

from agent import Api
from tests.serverproc import ROOT, ServerProcess

pytestmark = pytest.mark.server

SCRIPT = """
import agent
run = agent.init(project={project!r}, benchmark={benchmark!r}, config={{"lr": 0.1, "optimizer": "adam"}})
for step in range(200):
    agent.log({{"acc": step / 200, "loss": 1.0 / (step + 1)}})
run.finish()
print("RUN", run.id)
"""


def _when(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_a_run_named_for_a_benchmark_is_scored_when_it_finishes(cairn_server: ServerProcess, tmp_path: Path) -> None:
    slug = f"agent-{uuid.uuid4().hex[:6]}"
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {cairn_server.api_key}"
    r = s.post(f"{cairn_server.url}/api/v1/benchmarks/", json={
        "org": cairn_server.org, "slug": slug, "metric_key": "acc", "secondary_metrics": ["loss"],
        "config_columns": ["optimizer"],
    })
    assert r.status_code == 201, r.text
    benchmark = f"{cairn_server.org}/{slug}"
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT.format(project=f"p-{slug}", benchmark=benchmark)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env.update(PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(tmp_path / "config"), CAIRN_BASE_URL=cairn_server.url,
               CAIRN_API_KEY=cairn_server.api_key, CAIRN_ORG=cairn_server.org, CAIRN_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, str(script)], cwd=str(tmp_path), env=env, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    run_id = done.stdout.split("RUN", 1)[1].strip()

    api = Api(base_url=cairn_server.url, api_key=cairn_server.api_key)
    bench = api.benchmark(benchmark)
    deadline = time.monotonic() + 30
    entries: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        entries = bench.leaderboard()
        if entries:
            break
        time.sleep(0.1)
    assert len(entries) == 1, bench.submissions()
    entry = entries[0]
    assert entry["rank"] == 1 and entry["score"] == 199 / 200
    assert entry["metrics"] == {"loss": 1.0 / 200} and entry["config"] == {"optimizer": "adam"}
    # Scored by the worker soon after the finish (the benchmark measures it tightly).
    run = api.run(f"{cairn_server.org}/p-{slug}/{run_id}")
    detail = bench.submission(int(entry["id"]))  # type: ignore[call-overload]
    assert detail["status"] == "accepted"
    assert _when(detail["scored_at"]) - _when(run.finished_at) < 10
    # The agent's read API can submit too: the same run again is a conflict.
    from agent import ApiError

    with pytest.raises(ApiError) as e:
        bench.submit(f"{cairn_server.org}/p-{slug}/{run_id}")
    assert e.value.status == 409
    assert bench.withdraw(int(entry["id"]))["status"] == "withdrawn"  # type: ignore[call-overload]
    assert bench.leaderboard() == []
    assert bench.submit(f"{cairn_server.org}/p-{slug}/{run_id}", name="again")["status"] in ("scoring", "accepted")
