"""The next parameters of a sweep, by its method.

grid: the first point of the grid no trial holds (a point whose run crashed
is handed out once more). random: every parameter drawn from its
distribution, seeded by the sweep and the trial's number, so a sweep replays.
bayes: Optuna's TPE sampler (ask-and-tell), with the sweep's finished trials
told and its running ones held as "constant liars" so that agents asking at
once get different points. Why TPE: it handles W&B's mix of categorical,
integer, log and conditional-free continuous parameters natively, its cost
grows linearly with the trials, and Optuna is maintained and widely used.

The study is rebuilt from the stored trials; each web process keeps the last
few studies and only tells them what changed since, which keeps an ask under
100 ms at a thousand trials (bench/sweeps_bench.py).
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apps.sweeps.config import SweepConfig
from apps.sweeps.space import Param, grid_point, grid_total


@dataclass(frozen=True)
class Trial:
    pk: int
    state: str
    raw: dict[str, Any]
    metric: float | None
    grid_index: int | None


@dataclass(frozen=True)
class Suggestion:
    raw: dict[str, Any]
    grid_index: int | None = None


def _seed(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


# --- grid -------------------------------------------------------------------


def grid_taken(points: list[tuple[int | None, str]]) -> set[int]:
    """Points held by a trial, from the trials' (grid index, state) pairs; a point whose
    only trial crashed is free again (once)."""
    crashed: dict[int, int] = {}
    taken: set[int] = set()
    for index, state in points:
        if index is None:
            continue
        if state == "crashed":
            crashed[index] = crashed.get(index, 0) + 1
        else:
            taken.add(index)
    taken.update(i for i, n in crashed.items() if n >= 2)
    return taken


def grid_next(cfg: SweepConfig, points: list[tuple[int | None, str]]) -> Suggestion | None:
    taken = grid_taken(points)
    total = grid_total(cfg.params)
    for index in range(total):
        if index not in taken:
            return Suggestion(raw=grid_point(cfg.params, index), grid_index=index)
    return None


# --- random -----------------------------------------------------------------


def random_next(cfg: SweepConfig, sweep_key: str, number: int) -> Suggestion:
    rng = random.Random(_seed(sweep_key, number))
    return Suggestion(raw={p.name: p.draw(rng) for p in cfg.params})


# --- bayes ------------------------------------------------------------------


def _distributions(params: list[Param]) -> dict[str, Any]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for p in params:
        base = p.base
        if base[0] == "cat":
            out[p.name] = CategoricalDistribution(list(range(base[1])))
        elif base[0] == "int":
            out[p.name] = IntDistribution(base[1], base[2])
        elif base[0] == "float":
            out[p.name] = FloatDistribution(base[1], base[2], log=base[3])
    return out


class _Cached:
    """One sweep's study in this process, and which of its trials it was told."""

    def __init__(self, study: Any, signature: str) -> None:
        self.study = study
        self.signature = signature
        self.told: dict[int, tuple[int, str]] = {}  # trial pk -> (Optuna number, state told)
        self.count = 0  # trials in the study: the next one's number


_CACHE: OrderedDict[str, _Cached] = OrderedDict()
_CACHE_SIZE = 16
_lock = threading.Lock()


_OWNED: list[type] = []  # FrozenTrial's subclass below, made once optuna is imported
_SAMPLER: list[type] = []  # TPESampler's subclass below, likewise


def _sampler_class() -> type:
    if not _SAMPLER:
        from optuna.samplers import TPESampler

        class SweepTPESampler(TPESampler):
            """TPE over the sweep's own search space. Every trial the study is told fits that
            space (others are left out), so the intersection of all trials' spaces, which
            Optuna would compute over every trial on a process's first ask, is that space."""

            def __init__(self, space: dict[str, Any], **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self._space = {k: d for k, d in space.items() if not d.single()}

            def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
                return dict(self._space)

        _SAMPLER.append(SweepTPESampler)
    return _SAMPLER[0]


def _owned() -> type:
    if not _OWNED:
        from optuna.trial import FrozenTrial

        class Owned(FrozenTrial):
            """A trial built for one study and never shared: the storage keeps it uncopied."""

            def __deepcopy__(self, memo: dict[int, Any]) -> Any:
                return self

        _OWNED.append(Owned)
    return _OWNED[0]


def _fits(dist: Any, value: Any) -> bool:
    try:
        return bool(dist._contains(dist.to_internal_repr(value)))
    except (ValueError, TypeError):
        return False


def _checker(dist: Any) -> Any:
    """A fast test of whether a stored value fits `dist` (a rebuild tests every trial's values)."""
    from optuna.distributions import FloatDistribution, IntDistribution

    if isinstance(dist, FloatDistribution) and dist.step is None:
        low, high = dist.low, dist.high
        return lambda v: type(v) in (int, float) and low <= v <= high
    if isinstance(dist, IntDistribution) and dist.step == 1:
        low, high = dist.low, dist.high
        return lambda v: type(v) is int and low <= v <= high
    return lambda v: _fits(dist, v)


def _optuna_state(t: Trial) -> tuple[Any, float | None]:
    from optuna.trial import TrialState

    if t.state in ("assigned", "running"):
        return TrialState.RUNNING, None
    if t.metric is not None:
        return TrialState.COMPLETE, t.metric
    return TrialState.FAIL, None


def _tell(cached: _Cached, dists: dict[str, Any], trials: list[Trial]) -> None:
    """Bring the study up to the stored trials: add new ones, finish the ones that ended."""
    from optuna.trial import TrialState

    now = datetime.now()
    checks = {k: _checker(d) for k, d in dists.items()}
    study = cached.study
    storage = study._storage  # the in-memory storage: state changes go straight to it
    for t in trials:
        state, value = _optuna_state(t)
        known = cached.told.get(t.pk)
        if known is not None:
            number, told = known
            if told == state.name:
                continue
            if told == TrialState.RUNNING.name:
                trial_id = storage.get_trial_id_from_study_id_trial_number(study._study_id, number)
                storage.set_trial_state_values(trial_id, state, None if value is None else [value])
                cached.told[t.pk] = (number, state.name)
                continue
        params = {k: v for k, v in t.raw.items() if k in dists and v is not None}
        if len(params) != len(dists) or not all(checks[k](v) for k, v in params.items()):
            continue  # the trial's values do not fit this search space: nothing to learn from it
        # Built directly and handed to the storage uncopied: its values were checked above, and
        # it is ours alone (create_trial's checks and Study.add_trial's deep copy were 80% of a
        # rebuild at a thousand trials).
        frozen = _owned()(
            number=cached.count, state=state, value=value if state == TrialState.COMPLETE else None,
            datetime_start=now, datetime_complete=None if state == TrialState.RUNNING else now,
            params=params, distributions=dict(dists), user_attrs={}, system_attrs={},
            intermediate_values={}, trial_id=-1,
        )
        storage.create_new_trial(study._study_id, template_trial=frozen)
        cached.told[t.pk] = (cached.count, state.name)
        cached.count += 1


def bayes_next(cfg: SweepConfig, sweep_key: str, trials: list[Trial]) -> tuple[Suggestion, Any]:
    """The next point, and a token `bayes_asked` takes once the trial is stored."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = _distributions(cfg.params)
    signature = repr(sorted((k, repr(d)) for k, d in dists.items())) + cfg.metric_goal
    with _lock:
        cached = _CACHE.pop(sweep_key, None)
    if cached is None or cached.signature != signature:
        sampler = _sampler_class()(dists, seed=_seed(sweep_key) % 2**32, constant_liar=True, multivariate=True)
        direction = optuna.study.StudyDirection.MAXIMIZE if cfg.metric_goal == "maximize" else optuna.study.StudyDirection.MINIMIZE
        cached = _Cached(optuna.create_study(sampler=sampler, direction=direction), signature)
    _tell(cached, dists, trials)
    if not dists:
        return Suggestion(raw={p.name: None for p in cfg.params}), None
    asked = cached.study.ask(dists)
    cached.count = asked.number + 1
    raw = {p.name: asked.params.get(p.name) for p in cfg.params}
    return Suggestion(raw=raw), (sweep_key, cached, asked.number)


def bayes_asked(token: Any, pk: int | None) -> None:
    """The asked point was stored as trial `pk` (None: it was not; forget this study)."""
    if token is None:
        return
    sweep_key, cached, number = token
    if pk is None:
        return
    from optuna.trial import TrialState

    cached.told[pk] = (number, TrialState.RUNNING.name)
    with _lock:
        _CACHE[sweep_key] = cached
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def bayes_unknown(sweep_key: str, pks: list[int]) -> list[int]:
    """The trials this process's study of the sweep was not told of (all, without a study)."""
    with _lock:
        cached = _CACHE.get(sweep_key)
        told = set(cached.told) if cached is not None else set()
    return [pk for pk in pks if pk not in told]


def suggest(cfg: SweepConfig, sweep_key: str, trials: list[Any], count: int) -> tuple[Suggestion | None, Any]:
    """The next suggestion (None: the search space is exhausted), and a token for bayes.

    `trials`: what the method needs of them: nothing for random (it needs `count` only),
    (grid index, state) pairs for grid, `Trial`s for bayes."""
    if cfg.method == "grid":
        return grid_next(cfg, trials), None
    if cfg.method == "random":
        return random_next(cfg, sweep_key, count), None
    return bayes_next(cfg, sweep_key, trials)
