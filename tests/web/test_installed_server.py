"""The server as an operator installs it: a wheel built from the source, in a fresh
environment, outside the checkout. It must carry its front-end libraries (built
by the package build, never committed) and serve its charts."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.serverproc import ROOT, ServerProcess
from tests.web.conftest import sign_in
from tests.web.test_charts import log_steps, wait_chart
from tests.wheel import venv_libraries_pth

pytestmark = [pytest.mark.server, pytest.mark.browser]

VENDOR_FILES = ("uPlot.iife.min.js", "uPlot.min.css", "plotly.min.js", "katex/katex.min.js")


def test_the_wheel_carries_the_front_end_libraries_and_the_server_command(cairn_wheel: Path) -> None:
    with zipfile.ZipFile(cairn_wheel) as z:
        names = set(z.namelist())
        entry_points = next(z.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    for name in VENDOR_FILES:
        assert f"webapp/static/vendor/{name}" in names, name
    assert "cairn-server = webapp.cli:main" in entry_points
    assert not any(n.startswith("node_modules/") for n in names)


@pytest.fixture(scope="module")
def installed_server(cairn_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # Its libraries are the test environment's (no second download of Django);
    # its own code only the wheel's.
    venv_libraries_pth(venv)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", str(cairn_wheel)],
                         capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-3000:]
    server = ServerProcess(tmp_path_factory.mktemp("installed"), command=[str(venv / "bin" / "cairn-server"), "serve"])
    server.env.pop("PYTHONPATH", None)
    try:
        server.start()
    except Exception as e:
        raise RuntimeError(f"{e}\n{server.log_tail()}") from e
    server.admin_password = (server.data_dir / "admin-password").read_text().strip()  # type: ignore[attr-defined]
    yield server
    server.cleanup()


def test_an_installed_server_serves_its_charts(installed_server: ServerProcess, new_page: Any) -> None:
    server = installed_server
    where = requests.get(f"{server.url}/api/v1/health", timeout=10)
    assert where.status_code == 200
    for name in VENDOR_FILES:
        assert requests.get(f"{server.url}/static/vendor/{name}", timeout=10).status_code == 200, name
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {server.api_key}"
    log_steps(api, f"{server.url}/api/v1/projects/{server.org}/installed", "r1", lambda i: 1.0 / (i + 1), 200)
    page = new_page(server.url)
    sign_in(page, "admin", server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/{server.org}/installed/")
    state = wait_chart(page, "loss")
    assert state["points"] == 200
    assert page.evaluate("typeof uPlot") == "function"


def test_an_installed_server_is_run_from_outside_any_checkout(installed_server: ServerProcess) -> None:
    """Its code and data are the installed package's and the data folder's, not this repository's."""
    code = subprocess.run(
        [str(Path(installed_server.command[0]).parent / "python"), "-c", "import webapp; print(webapp.__file__)"],  # type: ignore[index]
        capture_output=True, text=True, cwd=installed_server.data_dir, env=installed_server.env,
    )
    assert "site-packages" in code.stdout and str(ROOT) not in code.stdout
    assert (installed_server.data_dir / "api-key").exists()
