"""The search methods: exact distributions, grid retries, bayes beating random."""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest

from apps.sweeps import services
from apps.sweeps.config import config_parse
from apps.sweeps.models import SweepRun
from apps.sweeps.search import Trial, bayes_asked, random_next, suggest
from apps.sweeps.space import assemble
from tests.factories import World

pytestmark = pytest.mark.django_db


def _draws(spec: dict[str, Any], n: int = 4000) -> list[Any]:
    cfg = config_parse({"method": "random", "parameters": {"x": spec}})
    return [assemble(cfg.params, random_next(cfg, "s", i).raw)["x"] for i in range(n)]


def test_random_draws_follow_w_and_b_distributions() -> None:
    u = _draws({"distribution": "uniform", "min": 2.0, "max": 4.0})
    assert min(u) >= 2 and max(u) <= 4 and abs(statistics.mean(u) - 3) < 0.05
    ints = _draws({"min": 1, "max": 3})
    assert set(ints) == {1, 2, 3} and all(isinstance(v, int) for v in ints)
    lv = _draws({"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1})
    assert min(lv) >= 1e-4 and max(lv) <= 1e-1
    assert abs(statistics.mean(math.log10(v) for v in lv) - (-2.5)) < 0.05  # uniform in log space
    lu = _draws(
        {"distribution": "log_uniform", "min": 0.0, "max": 1.0}
    )  # W&B: bounds are natural logs
    assert min(lu) >= 1.0 and max(lu) <= math.e
    n = _draws({"distribution": "normal", "mu": 5.0, "sigma": 2.0})
    assert abs(statistics.mean(n) - 5) < 0.1 and abs(statistics.stdev(n) - 2) < 0.1
    q = _draws({"distribution": "q_uniform", "min": 0.0, "max": 10.0, "q": 2})
    assert set(q) <= {0, 2, 4, 6, 8, 10} and all(isinstance(v, int) for v in q)
    c = _draws({"values": ["a", "b"], "probabilities": [0.9, 0.1]})
    assert 0.87 < c.count("a") / len(c) < 0.93
    assert _draws({"value": [1, 2]}, 3) == [[1, 2]] * 3


def test_a_random_sweep_replays_the_same_draws() -> None:
    cfg = config_parse({"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}})
    assert [random_next(cfg, "k", i).raw for i in range(5)] == [
        random_next(cfg, "k", i).raw for i in range(5)
    ]


def _sweep(world: World, config: dict[str, Any]) -> Any:
    return services.sweep_create(
        project=world.private, user=world.member.user, data={"config": config}
    )


def _end(trial: SweepRun, state: str, metric: float | None = None) -> None:
    SweepRun.objects.filter(pk=trial.pk).update(state=state, metric=metric)


def test_a_grid_point_whose_run_crashed_is_handed_out_once_more(world: World) -> None:
    sweep = _sweep(world, {"method": "grid", "parameters": {"x": {"values": [1, 2]}}})
    a = services.sweep_next(sweep=sweep).trial
    b = services.sweep_next(sweep=sweep).trial
    assert a and b
    _end(a, "crashed")
    again = services.sweep_next(sweep=sweep).trial
    assert again is not None and again.params == a.params and again.run_id != a.run_id
    _end(again, "crashed")
    assert services.sweep_next(sweep=sweep).action == "done"  # once, not forever


def _branin(x1: float, x2: float) -> float:
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi**2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def _best(method: str, key: str, n: int) -> float:
    """The best Branin value a sweep's method finds in `n` trials, driven as the server drives it
    (each ask sees every earlier trial finished), under a fixed sweep key: a seeded draw."""
    cfg = config_parse(
        {
            "method": method,
            "metric": {"name": "y", "goal": "minimize"},
            "parameters": {"x1": {"min": -5.0, "max": 10.0}, "x2": {"min": 0.0, "max": 15.0}},
        }
    )
    trials: list[Trial] = []
    for number in range(n):
        suggestion, token = suggest(cfg, key, trials, number)
        assert suggestion is not None
        bayes_asked(token, number)
        y = _branin(suggestion.raw["x1"], suggestion.raw["x2"])
        trials.append(Trial(number, "finished", suggestion.raw, y, None))
    return min(t.metric for t in trials if t.metric is not None)


def test_bayes_finds_better_points_than_random_on_branin() -> None:
    # Seeded (the sampler's seed comes from the sweep's key), so this is the same draw each run:
    # ten sweeps a side, 60 trials each. Branin's minimum is 0.398.
    bayes = [_best("bayes", f"branin-bayes-{seed}", 60) for seed in range(10)]
    rand = [_best("random", f"branin-random-{seed}", 60) for seed in range(10)]
    assert statistics.median(bayes) < statistics.median(rand), (bayes, rand)
    assert statistics.median(bayes) < 0.6, bayes


def test_bayes_hands_concurrent_agents_different_points(world: World) -> None:
    sweep = _sweep(
        world,
        {
            "method": "bayes",
            "metric": {"name": "y"},
            "parameters": {"x": {"values": [1, 2, 3, 4, 5, 6]}},
        },
    )
    got = [services.sweep_next(sweep=sweep).trial for _ in range(3)]
    assert all(t is not None for t in got)
    # Running trials are held as constant liars: TPE does not ask for the same point thrice.
    assert len({t.params["x"] for t in got if t}) >= 2


def test_importance_ranks_the_parameter_that_matters(world: World) -> None:
    from apps.sweeps.importance import importance_update

    sweep = _sweep(world, {
        "method": "random", "metric": {"name": "y"},
        "parameters": {"x": {"min": 0.0, "max": 1.0}, "noise": {"min": 0.0, "max": 1.0}, "opt": {"values": ["a", "b"]}},
    })
    for _ in range(40):
        trial = services.sweep_next(sweep=sweep).trial
        assert trial is not None
        _end(trial, "finished", 3 * trial.params["x"])
    assert importance_update(sweep_pk=sweep.pk) == 40
    sweep.refresh_from_db()
    ranked = sweep.importance["params"]
    assert ranked[0]["name"] == "x" and ranked[0]["importance"] > 0.8
    assert ranked[0]["correlation"] == pytest.approx(1.0)
    assert {p["name"] for p in ranked} == {"x", "noise", "opt"}


def test_a_suggestion_whose_agent_vanished_before_its_run_started_is_expired(world: World, settings: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from apps.sweeps.models import SweepAgent
    from apps.sweeps.tasks import expire_trials

    sweep = _sweep(world, {"method": "grid", "parameters": {"x": {"values": [1, 2]}}})
    lost = services.sweep_next(sweep=sweep, agent_id="gone").trial
    kept = services.sweep_next(sweep=sweep, agent_id="alive").trial
    assert lost and kept
    long_ago = timezone.now() - timedelta(seconds=settings.CAIRN_HEARTBEAT_TIMEOUT + 5)
    SweepRun.objects.filter(pk__in=[lost.pk, kept.pk]).update(created_at=long_ago)
    SweepAgent.objects.filter(agent_id="gone").update(heartbeat_at=long_ago)
    assert expire_trials() == 1  # the live agent's suggestion stays
    assert SweepRun.objects.get(pk=lost.pk).state == "crashed"
    again = services.sweep_next(sweep=sweep, agent_id="alive").trial
    assert again is not None and again.params == lost.params
