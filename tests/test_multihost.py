"""Web, worker, database and agent on four hosts: network namespaces made by the test.

The hosts share a bridge on 10.213.0.0/24, addresses used only inside the
namespaces this test creates (the root namespace has 10.213.0.1 on the bridge
and forwards nothing). The database host runs Redis and a PostgreSQL server of
its own (a cluster the test makes with the machine's PostgreSQL binaries),
both listening on its bridge address only. Each host is killed (every process
in it, SIGKILL: PostgreSQL then recovers from its write-ahead log) and started
again in turn while the agent logs; then every row is stored exactly once, the
run is finished, and no task is left undone.

Needs root, `ip netns`, redis-server and PostgreSQL's server binaries; skipped
with the reason when they are missing, failing under CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.ci import unavailable
from tests.netns import Hosts, PostgresCluster, netns_refused, postgres_binaries
from tests.serverproc import ROOT, server_python

pytestmark = pytest.mark.server

HOSTS = {"db": "10.213.0.2", "web": "10.213.0.3", "worker": "10.213.0.4", "agent": "10.213.0.5"}
ROWS = 3000

TRAIN = """
import sys, time, agent
run = agent.init(project="multi", id="mh1", settings={"finish_timeout": 240, "quiet": True})
for i in range(int(sys.argv[1])):
    run.log({"i": i, "loss": 1.0 / (i + 1)})
    if i % 50 == 49:
        time.sleep(0.5)  # 30 s in all: logging through every host's death
run.finish()
"""


@pytest.fixture
def hosts() -> Iterator[Hosts]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        unavailable("network namespaces need root and iproute2")
    for tool in ("redis-server", "setpriv"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed")
    if postgres_binaries() is None:
        unavailable("PostgreSQL's server (initdb, postgres) is not installed")
    refused = netns_refused()
    if refused:
        unavailable(f"ip netns add refused: {refused}")
    h = Hosts(HOSTS)
    try:
        h.create()
        yield h
    finally:
        h.destroy()


@pytest.fixture
def postgres() -> Iterator[PostgresCluster]:
    """The database host's PostgreSQL cluster, made for this test (initdb: a few seconds)."""
    binaries = postgres_binaries()
    assert binaries is not None
    cluster = PostgresCluster(binaries, HOSTS["db"])
    yield cluster
    cluster.remove()


def _database_create(cluster: PostgresCluster, name: str, timeout: float) -> None:
    """Once the database host's server answers, from the root namespace (on the bridge too)."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(cluster.url("postgres"), autocommit=True, connect_timeout=2) as con:
                con.execute(f"CREATE DATABASE {name}")
            return
        except psycopg.OperationalError:
            assert time.monotonic() < deadline, f"PostgreSQL not up after {timeout} s"
            time.sleep(0.3)


def _wait(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, f"{url} not up after {timeout} s"
        time.sleep(0.3)


def test_each_host_killed_in_turn_loses_and_duplicates_nothing(
    hosts: Hosts, postgres: PostgresCluster, tmp_path: Path
) -> None:
    db_url = postgres.url("cairn")
    env = {**os.environ, "DATABASE_URL": db_url, "CELERY_BROKER_URL": f"redis://{HOSTS['db']}:6379/0",
           "CAIRN_SECRET_KEY": "multihost-secret", "PYTHONPATH": str(ROOT), "CAIRN_STORAGE": "local",
           "CAIRN_ALLOWED_HOSTS": HOSTS["web"], "CAIRN_DEAD_RUN_CHECK_INTERVAL": "2", "CAIRN_LOG_LEVEL": "WARNING"}
    env.pop("CAIRN_TASKS_EAGER", None)
    python = server_python()

    def start_db() -> None:
        hosts.start("db", postgres.argv(), env, tmp_path / "db.log")
        hosts.start("db", ["redis-server", "--bind", HOSTS["db"], "--port", "6379", "--save", "",
                           "--appendonly", "no", "--protected-mode", "no", "--dir", str(tmp_path)], env, tmp_path / "db.log")

    def start_web() -> None:
        hosts.start("web", [python, "-m", "webapp", "web", "--bind", f"{HOSTS['web']}:8000", "--workers", "2"],
                    {**env, "CAIRN_DATA_DIR": str(tmp_path / "web")}, tmp_path / "web.log")

    def start_worker() -> None:
        # The worker host also sends the periodic tasks (beat's part), as `make run` does.
        hosts.start("worker", [python, "-m", "celery", "-A", "webapp", "worker", "--pool", "solo",
                               "-Q", "default,history,files,media,scoring", "--without-gossip", "--without-mingle"],
                    {**env, "CAIRN_DATA_DIR": str(tmp_path / "worker"), "CAIRN_EMBEDDED_SCHEDULE": "true"},
                    tmp_path / "worker.log")

    try:
        (tmp_path / "web").mkdir()
        (tmp_path / "worker").mkdir()
        start_db()
        _database_create(postgres, "cairn", 60)
        local = {**env, "CAIRN_DATA_DIR": str(tmp_path / "web")}
        subprocess.run([python, "-m", "webapp", "migrate"], env=local, check=True, capture_output=True)
        made = subprocess.run([python, "-m", "webapp", "manage", "cairn_user", "mh", "--password", "mh-password-1234",
                               "--org", "mh", "--role", "admin", "--api-key"],
                              env=local, check=True, capture_output=True, text=True).stdout
        key = made.split("api key:")[1].split()[0]
        start_web()
        start_worker()
        web = f"http://{HOSTS['web']}:8000"
        _wait(f"{web}/api/v1/health", 120)

        (tmp_path / "agent").mkdir()
        (tmp_path / "agent" / "train.py").write_text(TRAIN)
        hosts.start("agent", [python, "train.py", str(ROWS)],
                    {**os.environ, "PYTHONPATH": str(ROOT), "CAIRN_BASE_URL": web, "CAIRN_API_KEY": key,
                     "CAIRN_ORG": "mh"}, tmp_path / "agent" / "agent.log")
        training = hosts.procs["agent"][0]
        for host, start in (("web", start_web), ("worker", start_worker), ("db", start_db)):
            time.sleep(4)
            assert training.poll() is None, "the training ended before every host died once: make it longer"
            hosts.kill(host)
            time.sleep(4)
            start()
        assert training.wait(timeout=300) == 0, (tmp_path / "agent" / "agent.log").read_text()[-3000:]
        # The database host's own server died with it and came back from its write-ahead log.
        assert "automatic recovery in progress" in (tmp_path / "db.log").read_text(errors="replace")

        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        run = f"{web}/api/v1/projects/mh/multi/runs/mh1"
        state = session.get(run, timeout=10).json()
        assert state["state"] == "finished"
        lines = session.get(f"{run}/history/export", timeout=60).text.splitlines()
        steps = [int(json.loads(line)["i"]) for line in lines if line.strip()]
        assert steps == list(range(ROWS))  # each row once, in order
        deadline = time.monotonic() + 90
        while (ready := session.get(f"{web}/api/v1/ready", timeout=10).json())["tasks"]["waiting"]:
            assert time.monotonic() < deadline, ready
            time.sleep(1)
    except Exception as e:
        logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}"
                         for p in sorted(tmp_path.rglob("*.log")))
        raise AssertionError(f"{e}\n{logs}") from e
    finally:
        hosts.destroy()
