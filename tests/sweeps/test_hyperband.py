"""Hyperband stops the hopeless runs of a sweep on the metric they log, and keeps the best."""

from __future__ import annotations

import pytest

from apps.runs import services as run_services
from apps.runs.models import Stream
from apps.sweeps import services
from apps.sweeps.hyperband import brackets, early_terminate_all
from apps.sweeps.models import SweepRun
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_brackets_follow_w_and_b_s_keys() -> None:
    assert brackets({"type": "hyperband", "min_iter": 3, "eta": 3})[:4] == [3, 9, 27, 81]
    assert brackets({"type": "hyperband", "max_iter": 27, "eta": 3, "s": 2}) == [3, 9]


def _log(world: World, sweep_id: str, run_id: str, losses: list[float]) -> None:
    up = run_services.run_upsert(project=world.private, run_id=run_id, user=world.member.user, data={"sweep": sweep_id})
    records = [{"step": i, "time": 1.0 + i, "data": {"loss": v}} for i, v in enumerate(losses)]
    run_services.stream_append(run=up.run, stream=Stream.HISTORY, offset=0, records=records)


def test_hopeless_runs_are_stopped_at_a_bracket_and_the_best_kept(world: World) -> None:
    sweep = services.sweep_create(project=world.private, user=world.member.user, data={"config": {
        "method": "random", "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"x": {"min": 0.0, "max": 1.0}},
        "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 2},
    }})
    trials = [services.sweep_next(sweep=sweep).trial for _ in range(4)]
    ids = [t.run_id for t in trials if t]
    # Two good runs, two hopeless ones, each past the first bracket (2 iterations).
    for run_id, base in zip(ids, [0.1, 0.2, 5.0, 6.0]):
        _log(world, sweep.sweep_id, run_id, [base + 1, base, base])
    assert early_terminate_all() == 2
    stopped = dict(SweepRun.objects.filter(sweep=sweep).values_list("run_id", "stop_requested"))
    assert stopped == {ids[0]: False, ids[1]: False, ids[2]: True, ids[3]: True}
    reason = SweepRun.objects.get(run_id=ids[2]).stop_reason
    assert reason.startswith("hyperband") and "iteration 2" in reason
    # The agent hears it at its next heartbeat.
    beat = services.agent_heartbeat(sweep=sweep, agent_id="a", run_ids=ids)
    assert sorted(beat.stop) == sorted(ids[2:])
    assert early_terminate_all() == 0  # marked once


def test_a_run_below_the_first_bracket_is_left_alone(world: World) -> None:
    sweep = services.sweep_create(project=world.private, user=world.member.user, data={"config": {
        "method": "random", "metric": {"name": "loss"}, "parameters": {"x": {"min": 0.0, "max": 1.0}},
        "early_terminate": {"type": "hyperband", "min_iter": 5, "eta": 3},
    }})
    a, b = services.sweep_next(sweep=sweep).trial, services.sweep_next(sweep=sweep).trial
    assert a and b
    _log(world, sweep.sweep_id, a.run_id, [0.1, 0.1])
    _log(world, sweep.sweep_id, b.run_id, [9.0, 9.0])
    assert early_terminate_all() == 0
