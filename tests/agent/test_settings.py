from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from agent import UsageError
from agent._settings import DEFAULT_BASE_URL, Settings, resolve, write_stored
from tests.agent.conftest import ROOT


def test_an_argument_beats_the_environment_beats_the_stored_login_beats_the_default() -> None:
    env = {"CAIRN_BASE_URL": "http://env", "CAIRN_PROJECT": "envp"}
    stored = {"base_url": "http://stored", "api_key": "k", "org": "storedorg"}
    s = resolve({"project": "argp"}, None, env, stored)
    assert (s.project, s.base_url, s.org, s.api_key) == ("argp", "http://env", "storedorg", "k")
    assert resolve({}, None, {}, {}).base_url == DEFAULT_BASE_URL


def test_settings_objects_and_dicts_count_as_arguments() -> None:
    env = {"CAIRN_MODE": "online", "CAIRN_API_KEY": "k"}
    assert resolve({}, Settings(mode="offline"), env, {}).mode == "offline"
    assert resolve({}, {"mode": "disabled"}, env, {}).mode == "disabled"


def test_the_mode_is_online_only_when_a_key_is_known() -> None:
    assert resolve({}, None, {}, {}).mode == "offline"
    assert resolve({}, None, {"CAIRN_API_KEY": "k"}, {}).mode == "online"


def test_bad_values_are_refused() -> None:
    with pytest.raises(UsageError):
        resolve({"mode": "sometimes"}, None, {}, {})
    with pytest.raises(UsageError):
        resolve({}, None, {"CAIRN_STRICT": "maybe"}, {})


def test_the_system_interval_is_at_least_one_second() -> None:
    assert resolve({}, {"system_interval": 0.1}, {}, {}).system_interval == 1.0


def test_the_stored_login_is_private(tmp_path: Path) -> None:
    path = write_stored({"api_key": "secret"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert resolve({}, None, {}, None).api_key == "secret"


def test_importing_agent_starts_nothing_and_reads_nothing(tmp_path: Path) -> None:
    code = (
        "import sys, threading; import agent;"
        "assert 'requests' not in sys.modules and 'psutil' not in sys.modules, 'heavy import';"
        "assert 'torch' not in sys.modules;"
        "assert threading.active_count() == 1, 'a thread started'"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(tmp_path / "nowhere"))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=str(tmp_path))
    assert not (tmp_path / "cairn").exists()


@pytest.mark.parametrize(
    "given",
    [
        {"mode": "shared", "x_label": "rank-2", "x_primary": True, "x_update_finish_state": False},
        Settings(mode="shared", x_label="rank-2", x_primary=True),
        {"shared": True, "label": "rank-2", "primary": True},
    ],
)
def test_wandbs_shared_mode_is_a_shared_online_run(given: object) -> None:
    s = resolve({}, given, {"CAIRN_API_KEY": "k"}, {})  # type: ignore[arg-type]
    assert (s.mode, s.shared, s.label, s.primary) == ("online", True, "rank-2", True)
    assert resolve({}, given, {}, {}).mode == "offline"  # type: ignore[arg-type]


def test_shared_comes_from_the_environment_too() -> None:
    s = resolve({}, None, {"CAIRN_SHARED": "1", "CAIRN_LABEL": "gpu01", "CAIRN_API_KEY": "k"}, {})
    assert (s.shared, s.label, s.primary) == (True, "gpu01", None)
    assert resolve({"mode": "shared"}, None, {"CAIRN_API_KEY": "k"}, {}).shared is True


def test_unknown_settings_are_named_in_one_warning_and_known_w_and_b_ones_apply() -> None:
    from agent import AgentWarning

    with pytest.warns(AgentWarning) as caught:
        s = Settings(start_method="thread", _disable_stats=True, no_such=1, other_unknown=2)
    assert len(caught) == 1
    assert "no_such" in str(caught[0].message) and "other_unknown" in str(caught[0].message)
    assert "start_method" not in str(caught[0].message)
    assert s.capture_system_metrics is False
    with pytest.warns(AgentWarning, match="no_such"):
        resolved = resolve({}, {"no_such": 1, "console": "off", "entity": "acme"}, {}, {})
    assert resolved.capture_console is False and resolved.org == "acme"


def test_w_and_b_mode_names_are_understood() -> None:
    assert resolve({"mode": "dryrun"}, None, {}, {}).mode == "offline"
    assert resolve({"mode": "run"}, None, {}, {}).mode == "online"
    assert resolve({}, None, {"CAIRN_MODE": "dryrun"}, {}).mode == "offline"
