"""Settings, resolved once at ``init``: argument, environment, stored login, default."""

from __future__ import annotations

import json
import os

from ._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional, Union

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
MODES = ("online", "offline", "disabled")
# W&B's names for settings Cairn has under its own.
_ALIASES = {
    "x_label": "label",
    "x_primary": "primary",
    "entity": "org",
    "root_dir": "dir",
    "silent": "quiet",
}
# W&B's "switch it off" settings, as Cairn's "capture it" ones.
_NEGATED = {
    "_disable_stats": "capture_system_metrics",
    "x_disable_stats": "capture_system_metrics",
    "_disable_meta": "capture_system_info",
    "x_disable_meta": "capture_system_info",
    "disable_git": "capture_git",
}
# W&B settings that mean nothing here (how W&B starts its own service, what
# its terminal shows), or that init() takes as an argument: accepted silently.
# In Cairn the primary writer decides how a shared run ends (x_update_finish_state).
_IGNORED = frozenset(
    (
        "x_update_finish_state",
        "start_method",
        "init_timeout",
        "x_service_wait",
        "_service_wait",
        "x_disable_service",
        "_disable_service",
        "x_require_legacy_service",
        "show_info",
        "show_warnings",
        "show_errors",
        "show_emoji",
        "show_colors",
        "anonymous",
        "allow_val_change",
        "reinit",
        "save_code",
        "disable_code",
        "disable_job_creation",
        "login_timeout",
        "_disable_machine_info",
        "x_disable_machine_info",
        "console_multipart",
    )
)
# mode="dryrun" and mode="run": W&B's old names of offline and online.
_MODE_ALIASES = {"dryrun": "offline", "run": "online"}


_DEFAULTS: dict[str, Any] = {
    "base_url": None,
    "api_key": None,
    "mode": None,
    "dir": None,
    "project": None,
    "org": None,
    # Seconds between two system metric samples (at least 1).
    "system_interval": 10.0,
    # Seconds between heartbeats when nothing else was sent.
    "heartbeat_interval": 15.0,
    # How long finish() waits without upload progress before it gives up.
    "finish_timeout": 5.0,
    # How long the background process keeps trying after finish() gave up.
    "linger_timeout": 300.0,
    # Raise instead of warning when a value cannot be logged or the agent fails.
    "strict": False,
    "quiet": False,
    "capture_console": True,
    "capture_git": True,
    "capture_diff": True,
    "capture_requirements": True,
    "capture_system_info": True,
    "capture_system_metrics": True,
    # Several processes log to one run (docs/distributed.md); mode="shared" says the same.
    "shared": False,
    # This process among them: default, from the launcher's rank (rank-0, ...).
    "label": None,
    # Its finish finishes the shared run; default, rank 0.
    "primary": None,
    # In a shared run, only rank 0's log() is kept; every rank still sends system metrics and console.
    "rank_zero_only": False,
}


class Settings:
    """Everything that tunes the agent; every field is a keyword argument.

    ``None`` means "not given here". See ``docs/agent.md`` for each field.

    >>> Settings(mode="offline", system_interval=2).mode
    'offline'
    """

    base_url: Optional[str]
    api_key: Optional[str]
    mode: Optional[str]
    dir: Optional[str]
    project: Optional[str]
    org: Optional[str]
    system_interval: float
    heartbeat_interval: float
    finish_timeout: float
    linger_timeout: float
    strict: bool
    quiet: bool
    capture_console: bool
    capture_git: bool
    capture_diff: bool
    capture_requirements: bool
    capture_system_info: bool
    capture_system_metrics: bool
    shared: bool
    label: Optional[str]
    primary: Optional[bool]
    rank_zero_only: bool

    def __init__(self, **values: Any) -> None:
        values = _renamed(values)
        unknown = sorted(set(values) - set(_DEFAULTS))
        if unknown:
            _warn_unknown(unknown)
        for name, default in _DEFAULTS.items():
            setattr(self, name, values.get(name, default))

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _DEFAULTS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        shown = {k: ("***" if k == "api_key" and v else v) for k, v in self.to_dict().items()}
        return f"Settings({shown})"


_FIELDS = set(_DEFAULTS)


def _renamed(values: Mapping[str, Any]) -> dict[str, Any]:
    """W&B's setting names as Cairn's; ``mode="shared"`` as online and shared."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in _IGNORED:
            continue
        if key in _NEGATED:
            if value is not None:
                out[_NEGATED[key]] = not _parse_bool(value, key)
            continue
        if key == "console":  # W&B: "off" stops capturing; "auto", "wrap", "redirect" capture
            if value is not None:
                out["capture_console"] = str(value).lower() != "off"
            continue
        out[_ALIASES.get(key, key)] = value
    mode = out.get("mode")
    if isinstance(mode, str):
        out["mode"] = mode = _MODE_ALIASES.get(mode.lower(), mode)
        if mode.lower() == "shared":
            out["mode"] = None
            out["shared"] = True
    return out


def _warn_unknown(names: list[str]) -> None:
    """One warning naming every setting Cairn does not know (never an error: W&B has many)."""
    import warnings

    from ._errors import AgentWarning, user_stacklevel

    warnings.warn(
        f"cairn: ignored settings Cairn does not have: {', '.join(names)}",
        AgentWarning,
        stacklevel=user_stacklevel(),
    )


def _parse_bool(value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise UsageError(f"{source}: expected a boolean, got {value!r}")


# Environment variables, read when init resolves the settings (never at import).
_ENV = {
    "base_url": "CAIRN_BASE_URL",
    "api_key": "CAIRN_API_KEY",
    "mode": "CAIRN_MODE",
    "dir": "CAIRN_DIR",
    "project": "CAIRN_PROJECT",
    "org": "CAIRN_ORG",
    "system_interval": "CAIRN_SYSTEM_INTERVAL",
    "finish_timeout": "CAIRN_FINISH_TIMEOUT",
    "strict": "CAIRN_STRICT",
    "quiet": "CAIRN_QUIET",
    "capture_console": "CAIRN_CAPTURE_CONSOLE",
    "capture_git": "CAIRN_CAPTURE_GIT",
    "capture_diff": "CAIRN_CAPTURE_DIFF",
    "capture_requirements": "CAIRN_CAPTURE_REQUIREMENTS",
    "capture_system_info": "CAIRN_CAPTURE_SYSTEM_INFO",
    "capture_system_metrics": "CAIRN_CAPTURE_SYSTEM_METRICS",
    "shared": "CAIRN_SHARED",
    "label": "CAIRN_LABEL",
    "rank_zero_only": "CAIRN_RANK_ZERO_ONLY",
}
# W&B's variables, read when Cairn's own is unset, so a job script that sets
# them works unchanged. Not WANDB_API_KEY nor WANDB_BASE_URL: those name W&B's
# service, and sending its key to another server would leak it.
_WANDB_ENV = {
    "mode": "WANDB_MODE",
    "dir": "WANDB_DIR",
    "project": "WANDB_PROJECT",
    "org": "WANDB_ENTITY",
    "quiet": "WANDB_SILENT",
}


def _parse(name: str, value: Any, source: str) -> Any:
    """Convert a raw value to the type of field ``name``, refusing bad ones."""
    default = _DEFAULTS[name]
    if value is None:
        return None
    if isinstance(default, bool) or name == "primary":
        return _parse_bool(value, source)
    if isinstance(default, float) or name.endswith(("_interval", "_timeout")):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise UsageError(f"{source}: expected a number, got {value!r}") from None
    if not isinstance(value, str):
        raise UsageError(f"{source}: expected a string, got {value!r}")
    return value


def config_dir() -> str:
    """Where ``cairn login`` keeps its settings (``~/.config/cairn``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "cairn")


def stored_path() -> str:
    return os.path.join(config_dir(), "settings.json")


def load_stored() -> dict[str, Any]:
    """The settings ``cairn login`` stored, or ``{}``."""
    try:
        with open(stored_path(), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_stored(values: Mapping[str, Any]) -> str:
    """Merge ``values`` into the stored settings (mode 0600); ``None`` removes a key."""
    data = load_stored()
    for key, value in values.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path = stored_path()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def resolve(
    arguments: Mapping[str, Any],
    settings: Union[Settings, Mapping[str, Any], None] = None,
    environ: Optional[Mapping[str, str]] = None,
    stored: Optional[Mapping[str, Any]] = None,
) -> Settings:
    """Resolve every setting: argument, then environment, then stored login, then default.

    ``arguments`` are the keyword arguments of ``init`` (``None`` = not given);
    ``settings`` the ``settings=`` argument, which counts as an argument too.

    >>> resolve({"project": "p"}, environ={"CAIRN_MODE": "offline"}, stored={}).mode
    'offline'
    """
    env = os.environ if environ is None else environ
    store = load_stored() if stored is None else stored
    given: dict[str, Any] = {}
    if isinstance(settings, Settings):
        given.update({k: v for k, v in settings.to_dict().items() if v != _DEFAULTS[k]})
    elif settings is not None:
        unknown = []
        for key, value in _renamed(settings).items():
            if key not in _FIELDS:
                unknown.append(key)
            elif value is not None:
                given[key] = _parse(key, value, f"settings[{key!r}]")
        if unknown:
            _warn_unknown(sorted(unknown))
    for key, value in _renamed(arguments).items():
        if value is not None:
            given[key] = _parse(key, value, key)

    result = Settings()
    for name in _FIELDS:
        if name in given:
            value = given[name]
        elif name in _ENV and env.get(_ENV[name]) not in (None, ""):
            value = _parse(name, env[_ENV[name]], _ENV[name])
        elif name == "mode" and _parse("strict", env.get("WANDB_DISABLED", ""), "WANDB_DISABLED"):
            value = "disabled"
        elif name in _WANDB_ENV and env.get(_WANDB_ENV[name]) not in (None, ""):
            value = _parse(name, env[_WANDB_ENV[name]], _WANDB_ENV[name])
        elif name in store and store[name] is not None:
            value = _parse(name, store[name], f"{stored_path()}: {name}")
        else:
            continue
        setattr(result, name, value)

    if result.base_url is None:
        result.base_url = DEFAULT_BASE_URL
    result.base_url = result.base_url.rstrip("/")
    if result.mode is None or result.mode.lower() == "shared":
        result.shared = result.shared or result.mode is not None
        result.mode = "online" if result.api_key else "offline"
    result.mode = _MODE_ALIASES.get(result.mode.lower(), result.mode.lower())
    if result.mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, not {result.mode!r}")
    result.system_interval = max(1.0, float(result.system_interval))
    return result
