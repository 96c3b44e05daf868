"""docs/deploy.md's production steps, run as written: the doc cannot drift from the code.

Every ```sh trial block of the doc runs in order, in one shell state carried from
block to block (its exported variables), in an empty folder with the session's
wheel in `dist/`: a fresh venv, `pip install` of the wheel, the settings,
`migrate`, `check`, the web process, a worker and beat (blocks marked
`background`: started and left running), the wait for readiness, the first
admin, a key, an organisation, a second user. The doc's placeholders (hosts,
port, bucket, paths) are replaced by this machine's PostgreSQL, Redis, a moto
S3 server and temporary folders, and `--workers 4` by 2 (a small test
machine); nothing else of the commands is changed.

Two things the test provides and says so: the wheel is the session's
(`cairn_wheel`, built by the doc's build command; the block marked `wheel` is
checked, not run again), and the venv sees the test environment's libraries,
pip among them (a `.pth` file; `PIP_NO_INDEX`, `PIP_NO_DEPS`: nothing is
downloaded). Two settings are the test's too: its own Redis key prefix and
periodic tasks every 2 s.

Then, as a user would check: readiness for a load balancer's IP `Host`, the
sign-in page and a project page through the proxy's headers, the second user's
key, and an agent from the installed venv whose rows and file are stored.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.ci import unavailable
from tests.serverproc import ROOT, free_port
from tests.wheel import venv_libraries_pth

# Setup may include the session's wheel build (half a minute to two, with the load).
pytestmark = [pytest.mark.server, pytest.mark.timeout(420)]

DOC = ROOT / "docs" / "deploy.md"
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```sh trial(?P<mark>[ a-z]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.M | re.S,
)
PUBLIC_HOST = "cairn.example.org"
BUILD = "python3 -m pip wheel --no-deps -w dist ."


def doc_blocks(text: str) -> list[tuple[str, str]]:
    """(mark, commands) of each ```sh trial block, in order: mark is '', 'background' or 'wheel'."""
    blocks = []
    for m in FENCE.finditer(text):
        indent = len(m["indent"])
        body = "".join(line[indent:] for line in m["body"].splitlines(keepends=True))
        blocks.append((m["mark"].strip(), body))
    return blocks


def test_the_doc_blocks_are_found_whatever_their_indent() -> None:
    text = "1. Step\n\n   ```sh trial\n   echo one\n   echo two\n   ```\n\n```sh\nnot me\n```\n```sh trial background\nserve\n```\n"
    assert doc_blocks(text) == [("", "echo one\necho two\n"), ("background", "serve\n")]


@pytest.fixture
def s3_bucket() -> Iterator[tuple[str, str]]:
    """(endpoint, bucket): a moto S3 server of the test's own."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint, bucket = f"http://127.0.0.1:{port}", f"cairn-deploy-{uuid.uuid4().hex[:8]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="ACCESS-KEY-ID",
        aws_secret_access_key="SECRET-ACCESS-KEY",
    ).create_bucket(Bucket=bucket)
    yield endpoint, bucket
    moto.stop()


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL."""
    import psycopg

    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        unavailable(
            "the documented deployment runs on PostgreSQL: set DATABASE_URL=postgresql://..."
        )
    server, name = base.rsplit("/", 1)[0], f"cairn_doc_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server + "/postgres", autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    yield f"{server}/{name}"
    with psycopg.connect(server + "/postgres", autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Trial:
    """The doc's blocks run by bash in `folder`, the exported variables carried from one to the next."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.state = folder / ".trial-env"
        self.state.write_text("")
        self.background: list[subprocess.Popen[bytes]] = []
        self.log = folder / "trial.log"

    def run(self, commands: str) -> str:
        script = f"set -euo pipefail\n. {self.state}\n{commands}\nexport -p > {self.state}\n"
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=150,
        )
        with open(self.log, "a") as log:
            log.write(f"$ {commands}{done.stdout}{done.stderr}\n")
        assert done.returncode == 0, (
            f"{commands}\nexit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
        return done.stdout

    def start(self, commands: str) -> None:
        out = open(self.log, "ab")  # noqa: SIM115  (outlives this call: the process writes to it)
        self.background.append(
            subprocess.Popen(
                ["bash", "-c", f". {self.state}\nexec {commands}"],
                cwd=self.folder,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def stop(self) -> None:
        for p in self.background:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.background:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def _placeholders(tmp: Path, database: str, s3: tuple[str, str], port: int) -> dict[str, str]:
    if shutil.which("curl") is None:
        unavailable("curl is not installed (the doc's commands use it)")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis"):
        unavailable("the documented deployment uses Redis: set CELERY_BROKER_URL=redis://...")
    return {
        "/opt/cairn": str(tmp / "opt-cairn"),
        "/etc/cairn": str(tmp / "etc-cairn"),
        "postgresql://cairn:PASSWORD@db-host:5432/cairn": database,
        "redis://redis-host:6379/0": broker,
        "CAIRN_S3_BUCKET=cairn ": f"CAIRN_S3_BUCKET={s3[1]} ",
        "https://s3.internal.example.org": s3[0],
        "0.0.0.0:8000": f"127.0.0.1:{port}",
        "127.0.0.1:8000": f"127.0.0.1:{port}",
        "--workers 4": "--workers 2",  # a test machine of two cores
    }


def _environment(tmp: Path) -> dict[str, str]:
    """A shell with nothing of the test's settings; `python3` is this Python's base interpreter."""
    shims = tmp / "bin"
    shims.mkdir()
    (shims / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))
    return {
        "PATH": f"{shims}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(tmp / "home"),
        "LANG": "C.UTF-8",
        "PIP_NO_INDEX": "1",
        "PIP_NO_DEPS": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # Not the doc's: this test's own queues on a shared Redis, and periodic tasks
        # every 2 s so that readiness (three rounds of them) turns green quickly.
        "CAIRN_BROKER_KEY_PREFIX": f"cairn-doc-{uuid.uuid4().hex[:8]}:",
        "CAIRN_DEAD_RUN_CHECK_INTERVAL": "2",
    }


def _proxied(**headers: str) -> dict[str, str]:
    return {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https", **headers}


def _signed_in_page(base: str, username: str, password: str, path: str) -> requests.Response:
    """A page as the browser behind the TLS proxy gets it (its cookies are Secure: sent by hand here)."""
    login = requests.get(f"{base}/login/", headers=_proxied(), timeout=10)
    assert login.status_code == 200 and 'name="password"' in login.text
    csrf = login.cookies["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
    assert token is not None
    signed = requests.post(
        f"{base}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        headers=_proxied(
            Cookie=f"csrftoken={csrf}",
            Origin=f"https://{PUBLIC_HOST}",
            Referer=f"https://{PUBLIC_HOST}/login/",
        ),
        allow_redirects=False,
        timeout=10,
    )
    assert signed.status_code == 302, signed.text[:2000]
    session = signed.cookies["sessionid"]
    return requests.get(
        f"{base}{path}", headers=_proxied(Cookie=f"sessionid={session}"), timeout=10
    )


AGENT = """
import agent
run = agent.init(project="doc-trial", id="trial-run-7", settings={"quiet": True})
for i in range(100):
    run.log({"loss": 1.0 / (i + 1)})
open("notes.txt", "w").write("written by the deploy trial")
run.save("notes.txt", policy="now")
run.finish()
"""


def test_the_deploy_doc_commands_bring_up_a_ready_server(
    cairn_wheel: Path, database: str, s3_bucket: tuple[str, str], tmp_path: Path
) -> None:
    text = DOC.read_text()
    port = free_port()
    swaps = _placeholders(tmp_path, database, s3_bucket, port)
    blocks = doc_blocks(text)
    trial_text = "".join(body for _, body in blocks)
    for placeholder in swaps:  # the doc changed: change the test with it
        assert placeholder in trial_text, (
            f"{placeholder!r} is no longer in docs/deploy.md's trial blocks"
        )
    folder = tmp_path / "host"
    (folder / "dist").mkdir(parents=True)
    shutil.copy2(cairn_wheel, folder / "dist" / cairn_wheel.name)
    venv_libraries_pth(tmp_path / "opt-cairn")  # before the doc's `python3 -m venv`, which keeps it
    trial = Trial(folder, _environment(tmp_path))
    outputs = []
    try:
        for mark, body in blocks:
            for placeholder, value in swaps.items():
                body = body.replace(placeholder, value)
            if mark == "wheel":
                assert body.strip() == BUILD  # what the cairn_wheel fixture ran (tests/wheel.py)
            elif mark == "background":
                trial.start(body)
            else:
                assert mark == "", f"unknown trial block mark {mark!r}"
                outputs.append(trial.run(body))
            assert all(p.poll() is None for p in trial.background), trial.log.read_text()[-4000:]
        base = f"http://127.0.0.1:{port}"
        _check_the_server(base, "\n".join(outputs), tmp_path)
    except Exception as e:
        raise AssertionError(
            f"{e}\n--- trial log\n{trial.log.read_text(errors='replace')[-5000:]}"
        ) from e
    finally:
        trial.stop()


def _check_the_server(base: str, outputs: str, tmp: Path) -> None:
    # A load balancer probes by IP, without credentials.
    ready = requests.get(f"{base}/api/v1/ready", headers={"Host": "10.1.2.3"}, timeout=10)
    assert ready.status_code == 200 and ready.json()["checks"]["storage"] == "ok", ready.text
    # Static files and the libraries the charts need, from the installed package.
    vendor = requests.get(f"{base}/static/vendor/uPlot.iife.min.js", headers=_proxied(), timeout=10)
    assert vendor.status_code == 200 and len(vendor.content) > 10_000
    # The organisation the doc's curl made has its admin; the second user got a key and a membership.
    key = re.search(r"api key: (\S+)", outputs)
    assert key is not None, outputs
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key[1]}"
    assert api.get(f"{base}/api/v1/viewer", timeout=10).json()["orgs"] == [
        {"slug": "acme", "role": "member"}
    ]
    members = {
        m["username"]: m["role"]
        for m in api.get(f"{base}/api/v1/orgs/acme/members", timeout=10).json()["results"]
    }
    assert members == {"admin": "admin", "alice": "member"}
    # The agent of the installed package logs a run; its rows and its file are stored (the file in S3).
    agent_env = {**os.environ, "CAIRN_BASE_URL": base, "CAIRN_API_KEY": key[1], "CAIRN_ORG": "acme"}
    for name in ("PYTHONPATH", "DATABASE_URL", "CELERY_BROKER_URL"):
        agent_env.pop(name, None)
    (tmp / "train").mkdir()
    trained = subprocess.run(
        [str(tmp / "opt-cairn" / "bin" / "python"), "-c", AGENT],
        cwd=tmp / "train",
        env=agent_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    run = f"{base}/api/v1/projects/acme/doc-trial/runs/trial-run-7"
    assert api.get(run, timeout=10).json()["state"] == "finished"
    rows = [
        line
        for line in api.get(f"{run}/history/export", timeout=30).text.splitlines()
        if line.strip()
    ]
    assert len(rows) == 100
    stored = api.get(f"{run}/files/notes.txt", timeout=10, allow_redirects=False)
    assert stored.status_code == 302  # a signed URL on the bucket: the bytes are in S3
    assert (
        requests.get(stored.headers["Location"], timeout=10).content
        == b"written by the deploy trial"
    )
    # The project page, signed in, through the TLS proxy.
    page = _signed_in_page(base, "alice", "alice passes the validators", "/acme/doc-trial/")
    assert page.status_code == 200 and "trial-run-7" in page.text
    assert "Strict-Transport-Security" in page.headers  # CAIRN_HTTPS=true took effect
    waiting: Any = None
    deadline = time.monotonic() + 30
    while waiting != 0:
        assert time.monotonic() < deadline, f"tasks still waiting: {waiting}"
        time.sleep(0.5)
        waiting = requests.get(f"{base}/api/v1/ready", timeout=10).json()["tasks"]["waiting"]
