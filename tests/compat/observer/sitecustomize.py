"""Records what a compat script logs, without changing what the agent does.

The compat harness puts this folder first on PYTHONPATH of the script's
interpreter, so Python imports this module at startup. When the script
imports ``agent``, the wrappers below note each ``Run.log`` call (its scalars,
its media keys, ``step`` and ``commit``) and each run's config and summary as
the client holds them when the run finishes, one JSON object a line, in the
file named by CAIRN_COMPAT_RECORD. The test then reads the server and
compares. Only the standard library: it must not change which modules a
script imports.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import sys
import threading

_PATH = os.environ.get("CAIRN_COMPAT_RECORD")
_lock = threading.Lock()


def _write(event: dict) -> None:
    if not _PATH:
        return
    event["pid"] = os.getpid()
    line = json.dumps(event, default=str, allow_nan=True)
    with _lock, open(_PATH, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def _scalar(value):
    """(True, a JSON scalar) for what W&B logs as a number, bool or string; else (False, None)."""
    if value is None or isinstance(value, (bool, str)):
        return True, value
    if isinstance(value, numbers.Integral):
        return True, int(value)
    if isinstance(value, numbers.Real):
        return True, float(value)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        if value.numel() == 1 and value.dim() == 0:
            return _scalar(value.item())
        return False, None
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        return _scalar(value.item())
    return False, None


def _number(value):
    """A float that JSON can carry: NaN and infinities as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    return value


def _flatten(data, prefix, scalars, media):
    for key, value in data.items():
        name = prefix + str(key)
        if isinstance(value, dict) and "_type" not in value:
            _flatten(value, name + "/", scalars, media)
            continue
        ok, result = _scalar(value)
        if ok:
            scalars[name] = _number(result)
        else:
            media[name] = type(value).__module__ + "." + type(value).__qualname__


def _run_fields(run):
    return {
        "run": getattr(run, "id", None),
        "project": getattr(run, "project", None),
        "org": getattr(run, "org", None) or getattr(run, "entity", None),
        "object": id(run),
    }


def _plain(value, depth=0):
    """A JSON copy of a config or summary value; what is not JSON becomes its type's name."""
    if depth > 32:
        return "<deep>"
    ok, result = _scalar(value)
    if ok:
        return _number(result)
    if isinstance(value, dict) or hasattr(value, "items"):
        try:
            return {str(k): _plain(v, depth + 1) for k, v in value.items()}
        except Exception:
            pass
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    return {"_compat_type": type(value).__module__ + "." + type(value).__qualname__}


def _mapping(obj):
    try:
        return {str(k): _plain(v) for k, v in dict(obj).items()}
    except Exception as exc:  # a config or summary that cannot be read is itself a finding
        return {"_compat_error": f"{type(exc).__name__}: {exc}"}


def _install(agent_run_module) -> None:
    Run = getattr(agent_run_module, "Run", None)
    if Run is None or getattr(Run, "_compat_observed", False):
        return
    Run._compat_observed = True
    original_log = Run.log
    original_finish = Run.finish

    def log(self, *args, **kwargs):
        try:
            data = args[0] if args else kwargs.get("data")
            step = args[1] if len(args) > 1 else kwargs.get("step")
            commit = args[2] if len(args) > 2 else kwargs.get("commit")
            scalars, media = {}, {}
            if isinstance(data, dict):
                _flatten(data, "", scalars, media)
            event = _run_fields(self)
            event.update(
                ev="log",
                mode=getattr(self, "mode", None),
                before=getattr(self, "step", None),
                step=None if step is None else int(step),
                commit=commit,
                scalars=scalars,
                media=media,
            )
            _write(event)
        except Exception as exc:
            _write({"ev": "observer-error", "where": "log", "error": repr(exc)})
        return original_log(self, *args, **kwargs)

    def finish(self, *args, **kwargs):
        try:
            if not getattr(self, "_compat_finished", False):
                self._compat_finished = True
                event = _run_fields(self)
                event.update(
                    ev="finish",
                    mode=getattr(self, "mode", None),
                    config=_mapping(getattr(self, "config", {})),
                    summary=_mapping(getattr(self, "summary", {})),
                )
                _write(event)
        except Exception as exc:
            _write({"ev": "observer-error", "where": "finish", "error": repr(exc)})
        return original_finish(self, *args, **kwargs)

    log.__wrapped__ = original_log
    finish.__wrapped__ = original_finish
    Run.log = log
    Run.finish = finish


class _Finder:
    """Wraps agent._run.Run as soon as that module has been imported."""

    def find_spec(self, name, path=None, target=None):
        if name != "agent._run":
            return None
        sys.meta_path.remove(self)
        try:
            import importlib.util

            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original_exec = loader.exec_module

        def exec_module(module):
            original_exec(module)
            _install(module)

        loader.exec_module = exec_module
        return spec


if _PATH:
    sys.meta_path.insert(0, _Finder())
