"""Turning what users log into values the protocol takes, without importing numpy or torch."""

from __future__ import annotations

import json
import math
import numbers
import sys
from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional


# Types a history value may have as is (bool is an int subclass but checked by type()).
SCALARS = frozenset((float, int, bool, str, type(None)))
# Those that no server limit applies to: a row of only these takes log()'s hot path.
UNLIMITED = frozenset((float, int, bool, type(None)))

# The server's limits on a history row (apps/runs/history/encode.py): a row
# past one is refused whole, so log() leaves the value out and says so.
# tests/historystore/test_agent_limits.py holds the two sides together.
MAX_KEY_LENGTH = 256  # characters
MAX_VALUE_BYTES = 64 * 1024  # a string's UTF-8, or the JSON of a media reference
MAX_DEPTH = 16  # lists and objects inside a media reference
MAX_STEP = 2**63 - 1  # steps are signed 64-bit integers
# Keys found within the limits that the uploader remembers: enough for any
# run's metrics, bounded for a run that makes up a key per step.
KNOWN_KEYS = 10_000


def _describe(value: Any) -> str:
    kind = type(value)
    return (
        f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else kind.__name__
    )


def coerce_scalar(value: Any) -> tuple[bool, Any]:
    """``(True, value)`` in a form the protocol takes, or ``(False, why)``."""
    kind = type(value)
    if kind in SCALARS:
        return True, value
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return False, f"a tensor of shape {tuple(value.shape)} is not a scalar"
        return True, value.detach().reshape(()).item()
    if isinstance(value, bool):
        return True, bool(value)
    if isinstance(value, numbers.Integral):
        return True, int(value)
    if isinstance(value, numbers.Real):
        return True, float(value)
    if isinstance(value, str):
        return True, str(value)
    item = getattr(value, "item", None)
    size = getattr(value, "size", None)
    if callable(item) and (size == 1 or size is None and not hasattr(value, "__len__")):
        try:
            inner = item()
        except Exception as exc:  # a foreign object; say why and move on
            return False, f"its .item() failed: {exc}"
        if type(inner) in SCALARS:
            return True, inner
    if isinstance(size, int) and size != 1:
        return False, f"an array of {size} values is not a scalar"
    return (
        False,
        f"a value of type {_describe(value)} cannot be logged (numbers, booleans, strings and None can)",
    )


def flatten(
    data: Mapping[Any, Any], out: dict[str, Any], problems: list[tuple[str, str]], prefix: str = ""
) -> None:
    """Flatten nested mappings into ``out`` with ``a/b`` keys, coercing values.

    Values that cannot be logged are left out and reported in ``problems``.
    A mapping with a ``_type`` key (a media reference) is kept whole.

    >>> out = {}; flatten({"a": {"b": 1}, "c": 2.5}, out, []); out
    {'a/b': 1, 'c': 2.5}
    """
    for key, value in data.items():
        name = prefix + (key if type(key) is str else str(key))
        kind = type(value)
        if kind is float or kind is int:
            out[name] = value
        elif isinstance(value, Mapping):
            if "_type" in value:
                out[name] = jsonable(value)
            else:
                flatten(value, out, problems, name + "/")
        else:
            ok, result = coerce_scalar(value)
            if ok:
                out[name] = result
            elif is_array(value) or _is_media(value):
                # Media, and arrays (W&B logs an array of numbers as its histogram),
                out[name] = value  # written to the run folder by Run.log (agent/_media.py)
            else:
                problems.append((name, result))


def shown_key(key: str) -> str:
    """A key for a message: a long one cut short.

    >>> shown_key("k" * 300)
    "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk'… (300 characters)"
    """
    return repr(key) if len(key) <= 60 else f"{key[:40]!r}… ({len(key)} characters)"


def key_problem(key: str) -> Optional[str]:
    """Why the server would refuse a history key, or None."""
    if not key:
        return "keys must not be empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"keys may be at most {MAX_KEY_LENGTH} characters long (the server's limit)"
    return None


def value_problem(value: Any) -> Optional[str]:
    """Why the server would refuse a history value, or None.

    Text it cannot store (NUL, a lone surrogate) is not a problem: the
    uploader sends it as U+FFFD (``_http.json_bytes``).

    >>> value_problem("x" * 70_000)
    'strings may hold at most 65536 bytes of UTF-8 (the server's limit)'
    """
    kind = type(value)
    if kind is str:
        if _text_size(value) > MAX_VALUE_BYTES:
            return f"strings may hold at most {MAX_VALUE_BYTES} bytes of UTF-8 (the server's limit)"
        return None
    if kind is dict or kind is list:
        if _nesting(value) > MAX_DEPTH:
            return f"lists and dicts may be nested at most {MAX_DEPTH} deep (the server's limit)"
        text = json.dumps(value, ensure_ascii=False, allow_nan=True, separators=(",", ":"))
        if _text_size(text) > MAX_VALUE_BYTES:
            return f"a value may hold at most {MAX_VALUE_BYTES} bytes of JSON (the server's limit)"
    return None


def over_limits(row: dict[Any, Any], known: Optional[set[Any]] = None) -> list[tuple[Any, str]]:
    """The keys of ``row`` the server would refuse, with why.

    Keys found within the limits are added to ``known`` (up to ``KNOWN_KEYS``)
    and not checked again.

    >>> over_limits({"loss": 0.5, "": 1, "note": "x" * 70_000})[0]
    ('', 'keys must not be empty')
    """
    problems = []
    for key, value in row.items():
        why = None
        if known is None or key not in known:
            why = key_problem(str(key))
            if why is None and known is not None and len(known) < KNOWN_KEYS:
                known.add(key)
        if why is None and type(value) not in UNLIMITED:
            why = value_problem(value)
        if why is not None:
            problems.append((key, why))
    return problems


def _text_size(text: str) -> int:
    """The UTF-8 size of ``text`` as the uploader sends it (NUL and lone surrogates as U+FFFD)."""
    # A lone surrogate takes 3 bytes with "surrogatepass", as U+FFFD does.
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if "\x00" in text:
        size += 2 * text.count("\x00")
    return size


def _nesting(value: Any) -> int:
    """How deep lists and dicts nest in ``value``: 1 for a flat one."""
    items = value.values() if type(value) is dict else value
    inner = [_nesting(v) for v in items if type(v) is dict or type(v) is list]
    return 1 + max(inner, default=0)


def jsonable(value: Any, _depth: int = 0) -> Any:
    """A copy of ``value`` made of JSON types: dicts, lists, str, numbers, bool, None.

    Used for config values, which may be nested: dataclasses and namespaces
    become dicts, tuples and sets lists, anything else its ``str()``.
    """
    if _depth > 64:
        return str(value)
    kind = type(value)
    if kind in SCALARS:
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, _depth + 1) for k, v in value.items()}
    if _is_dataclass(value):
        return {
            name: jsonable(getattr(value, name), _depth + 1) for name in value.__dataclass_fields__
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, _depth + 1) for v in value]
    ok, result = coerce_scalar(value)
    if ok:
        return result
    tolist: Optional[Callable[[], Any]] = getattr(value, "tolist", None)
    if callable(tolist):
        try:
            return jsonable(tolist(), _depth + 1)
        except Exception:
            pass
    if hasattr(value, "__dict__") and type(value).__name__ == "Namespace":
        return {str(k): jsonable(v, _depth + 1) for k, v in vars(value).items()}
    return str(value)


def as_mapping(value: Any) -> dict[str, Any]:
    """Config input (dict, argparse namespace, dataclass, or None) as a plain dict."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if _is_dataclass(value):
        return {name: getattr(value, name) for name in value.__dataclass_fields__}
    if hasattr(value, "__dict__"):
        return {str(k): v for k, v in vars(value).items() if not str(k).startswith("_")}
    raise TypeError(
        f"config must be a dict, an argparse namespace or a dataclass, not {_describe(value)}"
    )


def is_finite_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def is_array(value: Any) -> bool:
    """A numpy array or a torch tensor (of more than one value, once coerce_scalar said no)."""
    kind = type(value)
    if kind.__module__ == "numpy" and kind.__name__ == "ndarray":
        return True
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _is_media(value: Any) -> bool:
    if getattr(value, "_cairn_media", False) or type(value).__module__.startswith(
        ("plotly.graph_objs", "matplotlib.figure")
    ):
        return True
    if getattr(value, "__name__", None) == "matplotlib.pyplot" and hasattr(value, "gcf"):
        return True  # {"chart": plt}: pyplot's current figure, as in W&B
    return (
        type(value) in (list, tuple)
        and len(value) > 0
        and all(getattr(v, "_cairn_media", False) for v in value)
    )


def _is_dataclass(value: Any) -> bool:
    # dataclasses.is_dataclass without importing dataclasses (slow to import).
    return hasattr(value, "__dataclass_fields__") and not isinstance(value, type)
