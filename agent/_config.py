"""``run.config`` and ``run.summary``: dict-like views whose changes are
recorded in the run's spool."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

from . import _spool
from ._values import SCALARS, as_mapping, jsonable, over_limits, shown_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, Optional

    from ._run import Run


class Config(MutableMapping[str, "Any"]):
    """The run's hyperparameters: a dict with attribute access; every change is recorded.

    >>> c = Config({"lr": 0.1}); c.batch = 32; c["lr"], c.batch
    (0.1, 32)
    """

    def __init__(self, data: Optional[Mapping[str, Any]] = None, run: Optional[Run] = None) -> None:
        object.__setattr__(self, "_data", dict(data or {}))
        object.__setattr__(self, "_run", run)

    def _record(self, changes: dict[str, Any]) -> None:
        run = self._run
        if run is not None:
            run._record(_spool.CONFIG, {k: jsonable(v) for k, v in changes.items()})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[str(key)] = value
        self._record({str(key): value})

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._record({key: None})

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def update(self, *args: Any, allow_val_change: Optional[bool] = None, **kwargs: Any) -> None:
        """Merge a dict, an argparse namespace or a dataclass (and keywords) in, as one change.

        ``allow_val_change`` is W&B's keyword, accepted and never stored as a
        key: Cairn lets a value change without it.

        >>> c = Config({"lr": 0.1}); c.update({"lr": 0.2}, allow_val_change=True); dict(c)
        {'lr': 0.2}
        """
        changes: dict[str, Any] = {}
        for arg in args:
            changes.update(as_mapping(arg))
        changes.update(kwargs)
        if changes:
            self._data.update(changes)
            self._record(changes)

    def setdefaults(self, d: Any) -> None:
        """Set the keys of ``d`` that are not set yet (W&B's ``config.setdefaults``).

        >>> c = Config({"lr": 0.1}); c.setdefaults({"lr": 1, "epochs": 3}); dict(c)
        {'lr': 0.1, 'epochs': 3}
        """
        changes = {k: v for k, v in as_mapping(d).items() if k not in self._data}
        if changes:
            self._data.update(changes)
            self._record(changes)

    def persist(self) -> None:
        """W&B's ``config.persist()``: every change is recorded already, so nothing to do."""

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def __repr__(self) -> str:
        return f"Config({self._data!r})"


class Summary(MutableMapping[str, "Any"]):
    """Each metric's last value (or its ``define_metric`` summary); keys the user sets win.

    >>> run = Run.disabled(); run.log({"loss": 2.0}); run.summary["best"] = 1
    >>> dict(run.summary)
    {'best': 1}
    """

    def __init__(self, run: Run) -> None:
        self._run = run
        self._set: dict[str, Any] = {}
        self._removed: set[str] = set()

    def _merged(self) -> dict[str, Any]:
        run = self._run
        out = {k: v for k, v in run._last.items() if k not in self._removed}
        out.update(run._metrics.values())
        out.update(self._set)
        return out

    def __getitem__(self, key: str) -> Any:
        return self._merged()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if type(value) not in SCALARS:
            value = self._run._summary_value(key, value)
        value = jsonable(value)
        problems = over_limits({key: value})
        if problems:
            # The server would refuse the whole summary for it: leave it out, say so.
            self._run._warn(key, f"not set in the summary: key {shown_key(key)}: {problems[0][1]}")
            return
        self._set[key] = value
        self._removed.discard(key)
        self._run._record(_spool.SUMMARY, {key: value})

    def __delitem__(self, key: str) -> None:
        if key not in self._merged():
            raise KeyError(key)
        self._set.pop(key, None)
        self._removed.add(key)
        self._run._record(_spool.SUMMARY, {key: None})

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged())

    def __len__(self) -> int:
        return len(self._merged())

    def __repr__(self) -> str:
        return f"Summary({self._merged()!r})"
