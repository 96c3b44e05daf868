"""Production settings against real servers: which Host headers are answered,
and what CAIRN_HTTPS=true changes for a browser (docs/deploy.md, docs/security.md)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.serverproc import ServerProcess, server_python
from webapp.serve import allowed_hosts

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent


def _cookie(response: requests.Response, name: str) -> str:
    """The raw Set-Cookie line for `name` (requests' jar hides the attributes)."""
    for line in response.raw.headers.getlist("Set-Cookie"):
        if line.startswith(f"{name}="):
            return str(line)
    raise AssertionError(f"no {name} cookie in {response.headers}")


def test_it_refuses_a_forged_host(cairn_server: ServerProcess) -> None:
    forged = requests.get(f"{cairn_server.url}/login/?next=/x", headers={"Host": "evil.example"}, timeout=10)
    assert forged.status_code == 400
    assert "evil.example" not in forged.text
    api = requests.get(f"{cairn_server.url}/api/v1/viewer", headers={"Host": "evil.example"}, timeout=10)
    assert api.status_code == 400


def test_probes_answer_a_load_balancer_checking_by_ip(cairn_server: ServerProcess) -> None:
    """A load balancer sends its own Host (an IP) and no key: health answers, and says nothing of where things live."""
    for path in ("/api/v1/health", "/api/v1/ready"):
        r = requests.get(f"{cairn_server.url}{path}", headers={"Host": "10.1.2.3"}, timeout=10)
        assert r.status_code in (200, 503), (path, r.status_code)
        assert r.json()["status"] in ("ok", "ready", "unready")
        assert "127.0.0.1" not in r.text and "5432" not in r.text and "6379" not in r.text
    # With a key it is an ordinary request: the forged host is refused.
    keyed = requests.get(f"{cairn_server.url}/api/v1/health", headers={"Host": "evil.example", "Authorization": "Bearer x"}, timeout=10)
    assert keyed.status_code == 400


def test_it_answers_the_host_it_serves_on(cairn_server: ServerProcess) -> None:
    for host in (f"127.0.0.1:{cairn_server.port}", f"localhost:{cairn_server.port}"):
        r = requests.get(f"{cairn_server.url}/api/v1/health", headers={"Host": host}, timeout=10)
        assert r.status_code == 200, host


def test_plain_http_has_no_hsts_and_ignores_forwarded_proto(cairn_server: ServerProcess) -> None:
    r = requests.get(f"{cairn_server.url}/login/", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert r.status_code == 200
    assert "Strict-Transport-Security" not in r.headers
    assert "secure" not in _cookie(r, "csrftoken").lower()


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("https-server"), extra_env={"CAIRN_HTTPS": "true"})
    server.start()
    yield server
    server.cleanup()


def test_https_gives_secure_cookies_and_hsts(https_server: ServerProcess) -> None:
    proxy = {"X-Forwarded-Proto": "https"}  # what the TLS-terminating proxy adds
    page = requests.get(f"{https_server.url}/login/", headers=proxy, timeout=10)
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    csrf_line = _cookie(page, "csrftoken")
    assert "; secure" in csrf_line.lower()

    token = csrf_line.split(";", 1)[0].split("=", 1)[1]
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert form_token is not None
    password = (https_server.data_dir / "admin-password").read_text().strip()
    login = requests.post(
        f"{https_server.url}/login/",
        data={"username": "admin", "password": password, "csrfmiddlewaretoken": form_token.group(1)},
        headers={**proxy, "Cookie": f"csrftoken={token}", "Origin": f"https://127.0.0.1:{https_server.port}"},
        allow_redirects=False,
        timeout=10,
    )
    assert login.status_code == 302, login.text[:500]
    session_line = _cookie(login, "sessionid")
    assert "; secure" in session_line.lower()
    assert "; httponly" in session_line.lower()


def test_make_run_answers_the_host_given_and_loopback() -> None:
    assert allowed_hosts("10.1.2.3").split(",") == ["localhost", "127.0.0.1", "[::1]", "10.1.2.3"]
    assert "[fd00::1]" in allowed_hosts("fd00::1").split(",")
    wildcard = allowed_hosts("0.0.0.0").split(",")
    assert wildcard[:3] == ["localhost", "127.0.0.1", "[::1]"] and len(wildcard) > 3  # the machine's names


def test_the_public_url_host_is_allowed() -> None:
    code = "from django.conf import settings; import django; django.setup(); print(','.join(settings.ALLOWED_HOSTS))"
    out = subprocess.run(
        [server_python(), "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "webapp.settings", "CAIRN_SECRET_KEY": "x", "PYTHONPATH": str(ROOT),
             "CAIRN_PUBLIC_URL": "https://cairn.example.org/"},
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()
    assert out.split(",") == ["localhost", "127.0.0.1", "[::1]", "cairn.example.org"]
