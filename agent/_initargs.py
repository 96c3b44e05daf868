"""W&B's ``init`` arguments, as Cairn's: the config, ``resume``, ``reinit`` and the rest."""

from __future__ import annotations

import os
import sys
import warnings

from ._errors import AgentWarning, UsageError, user_stacklevel
from ._values import as_mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional

REINITS = ("default", "return_previous", "finish_previous", "create_new")
RESUMES = ("allow", "must", "never", "auto")


def _warn(message: str) -> None:
    warnings.warn(f"cairn: {message}", AgentWarning, stacklevel=user_stacklevel())


def load_config(config: Any) -> dict[str, Any]:
    """``config=``: a dict, an argparse namespace, a dataclass, or the path of a YAML or JSON file.

    A file in W&B's ``config-defaults.yaml`` form (``key: {value: ..., desc: ...}``)
    gives each key its ``value``.
    """
    if not isinstance(config, (str, os.PathLike)):
        return as_mapping(config)
    path = os.fspath(config)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise UsageError(f"config: cannot read {path}: {exc.strerror}") from None
    if path.endswith(".json"):
        import json

        data = json.loads(text)
    else:
        try:
            import yaml
        except ImportError:
            raise UsageError(
                f"config={path!r} is YAML: install PyYAML to read it, or pass a dict"
            ) from None
        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise UsageError(f"config: {path} does not hold a mapping")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("wandb_version", "_wandb"):
            continue
        if isinstance(value, dict) and "value" in value and set(value) <= {"value", "desc"}:
            value = value["value"]
        out[str(key)] = value
    return out


def filter_config(
    config: dict[str, Any],
    exclude: Optional[Sequence[str]],
    include: Optional[Sequence[str]],
) -> dict[str, Any]:
    """W&B's ``config_exclude_keys``/``config_include_keys`` (not both)."""
    if exclude and include:
        raise UsageError("config_exclude_keys and config_include_keys cannot both be given")
    if include:
        keep = set(include)
        return {k: v for k, v in config.items() if k in keep}
    if exclude:
        drop = set(exclude)
        return {k: v for k, v in config.items() if k not in drop}
    return config


def reinit_mode(reinit: Any) -> str:
    """What to do with a run still current: W&B's ``reinit`` (True: finish it)."""
    if reinit is True:
        return "finish_previous"
    if reinit is None or reinit is False or reinit == "default":
        # W&B: a notebook keeps returning its run; a script finishes it.
        return "return_previous" if "ipykernel" in sys.modules else "finish_previous"
    if reinit not in REINITS:
        raise UsageError(f"reinit must be True, False or one of {', '.join(REINITS)}, not {reinit!r}")
    return str(reinit)


def resume_mode(resume: Any) -> Optional[str]:
    """W&B's ``resume``: True is "auto", False and None are "not asked for"."""
    if resume is True:
        return "auto"
    if resume is None or resume is False:
        return None
    if resume not in RESUMES:
        raise UsageError(f"resume must be True, False or one of {', '.join(RESUMES)}, not {resume!r}")
    return str(resume)


def warn_unsupported(
    *,
    resume_from: Any,
    fork_from: Any,
    sync_tensorboard: Any,
    tensorboard: Any,
    monitor_gym: Any,
    magic: Any,
    unknown: dict[str, Any],
) -> None:
    """One warning for what ``init`` accepts and does not do (yet)."""
    said = []
    if resume_from is not None:
        said.append("resume_from (rewinding a run) is not supported: the run starts as asked otherwise")
    if fork_from is not None:
        said.append("fork_from (forking a run) is not supported: a new run starts")
    if monitor_gym:
        said.append("monitor_gym: gym videos are not logged yet")
    if magic:
        said.append("magic is not supported")
    if unknown:
        said.append(f"ignored arguments Cairn does not have: {', '.join(sorted(unknown))}")
    said = [s for s in said if s not in _said]  # each said once per process
    _said.update(said)
    if said:
        _warn("init(): " + "; ".join(said))


_said: set[str] = set()


# W&B's variables for the run's own fields, used where init was not given the field.
_WANDB_RUN_ENV = {
    "id": "WANDB_RUN_ID",
    "name": "WANDB_NAME",
    "notes": "WANDB_NOTES",
    "tags": "WANDB_TAGS",
    "group": "WANDB_RUN_GROUP",
    "job_type": "WANDB_JOB_TYPE",
    "resume": "WANDB_RESUME",
}


def with_wandb_env(fields: dict[str, Any], environ: Optional[Any] = None) -> dict[str, Any]:
    """``fields`` with the ones not given taken from W&B's variables (``WANDB_NAME``, ``WANDB_TAGS``...).

    >>> with_wandb_env({"name": None, "tags": None}, {"WANDB_NAME": "a", "WANDB_TAGS": "x, y"})
    {'name': 'a', 'tags': ['x', 'y']}
    """
    env = os.environ if environ is None else environ
    out = dict(fields)
    for field, variable in _WANDB_RUN_ENV.items():
        if field not in out or out[field] is not None or not env.get(variable):
            continue
        value: Any = env[variable]
        if field == "tags":
            value = [t.strip() for t in value.split(",") if t.strip()]
        elif field == "resume" and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        out[field] = value
    return out
