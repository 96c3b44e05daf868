"""Fixtures shared by every test.

Under CI=true a missing service is a failure, never a skip: a test that
finds one missing says so through tests.ci.unavailable, and the server
fixtures below raise whatever the environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# In-process tests run Celery tasks synchronously; the end-to-end server
# (tests/serverproc.py) runs them in a real worker on the real broker.
os.environ.setdefault("CAIRN_TASKS_EAGER", "true")
os.environ.setdefault("CAIRN_SECRET_KEY", "test")

from tests.serverproc import ServerProcess  # noqa: E402


@pytest.fixture(scope="session")
def cairn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server (gunicorn + Celery worker) on its own database."""
    server = ServerProcess(tmp_path_factory.mktemp("cairn-server"))
    try:
        server.start()
    except Exception as e:
        raise RuntimeError(f"{e}\n{server.log_tail()}") from e
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def cairn_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Cairn's wheel, built once a session from a clean copy of the source (the
    installed-server and deploy-doc tests share it: each build takes half a minute)."""
    from tests.wheel import source_copy, wheel_build

    return wheel_build(source_copy(tmp_path_factory.mktemp("source")), tmp_path_factory.mktemp("dist"))


@pytest.fixture
def tasks_eager() -> Iterator[None]:
    """Celery tasks run in the request that queues them, told to the app directly
    (Django's settings may be loaded before CAIRN_TASKS_EAGER above is read)."""
    from webapp.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of the test's own, for tests that kill it."""
    server = ServerProcess(tmp_path / "server")
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(autouse=True)
def _fast_passwords(request: pytest.FixtureRequest) -> None:
    """Password hashing is slow on purpose; tests make many users."""
    if "settings" in request.fixturenames or _django_available():
        settings = request.getfixturevalue("settings")
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _django_available() -> bool:
    try:
        import pytest_django  # noqa: F401
    except ImportError:
        return False
    return bool(os.environ.get("DJANGO_SETTINGS_MODULE"))
