"""Writes of the sweeps app: create, control, hand out the next run, and
record what the runs did.

The next run is chosen here, when an agent asks, inside a transaction that
holds the sweep's row (`select_for_update`): agents asking at once queue on
that lock, so no two get the same grid point and `run_cap` is never passed.
"""

from __future__ import annotations

import re
import secrets
import string
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from apps.core.errors import BadInput, Conflict
from apps.core.tasks import enqueue_on_commit
from apps.core.validation import text_check
from apps.runs.models import RUN_ID_PATTERN, Project, Run, RunState
from apps.sweeps import search
from apps.sweeps.config import SweepConfig, config_parse, yaml_load
from apps.sweeps.models import ACTIVE, ENDED, Sweep, SweepAgent, SweepRun, SweepState, TrialState
from apps.sweeps.space import assemble

_ALPHABET = string.ascii_lowercase + string.digits
AGENT_ID_PATTERN = r"^[A-Za-z0-9_.:@-]{1,64}$"
_RUN_ID = re.compile(RUN_ID_PATTERN)
_BEAT_FRESH = timedelta(seconds=10)


def new_id(n: int = 8) -> str:
    """W&B's ids: 8 lower-case letters and digits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


# A sweep's config never changes once created: each process parses it once.
_CONFIGS: OrderedDict[tuple[int, str], SweepConfig] = OrderedDict()
_CONFIGS_SIZE = 64


def sweep_config(sweep: Sweep) -> SweepConfig:
    key = (sweep.pk, sweep.sweep_id)
    cfg = _CONFIGS.get(key)
    if cfg is None:
        cfg = config_parse(sweep.config)
        _CONFIGS[key] = cfg
        while len(_CONFIGS) > _CONFIGS_SIZE:
            _CONFIGS.popitem(last=False)
    return cfg


def sweep_create(*, project: Project, user: User | AnonymousUser | None, data: dict[str, Any]) -> Sweep:
    """From `config` (an object) or `config_yaml` (the sweep file's text)."""
    if ("config" in data) == ("config_yaml" in data):
        raise BadInput(
            "Give the sweep's configuration: `config` (an object) or `config_yaml` (a file's text).",
            "config",
        )
    raw = yaml_load(data["config_yaml"]) if "config_yaml" in data else data["config"]
    cfg = config_parse(raw)
    name = data.get("name", raw.get("name") or "")
    name = text_check(name, "name", 200)
    for _ in range(5):
        try:
            with transaction.atomic():
                return Sweep.objects.create(
                    project=project,
                    sweep_id=new_id(),
                    name=name,
                    config=cfg.raw,
                    method=cfg.method,
                    metric_name=cfg.metric_name,
                    metric_goal=cfg.metric_goal,
                    run_cap=cfg.run_cap,
                    created_by=user if isinstance(user, User) else None,
                )
        except IntegrityError:
            continue  # an id already taken in the project: draw again
    raise Conflict("Could not choose a free sweep id; try again.")


# W&B's controls: `wandb sweep --pause/--resume/--stop/--cancel`.
_CONTROLS: dict[str, tuple[tuple[str, ...], str]] = {
    "pause": ((SweepState.PENDING, SweepState.RUNNING), SweepState.PAUSED),
    "resume": ((SweepState.PAUSED,), SweepState.RUNNING),
    # stop: no new runs; the running ones finish. cancel: the running ones are killed too.
    "stop": ((SweepState.PENDING, SweepState.RUNNING, SweepState.PAUSED), SweepState.FINISHED),
    "cancel": ((SweepState.PENDING, SweepState.RUNNING, SweepState.PAUSED), SweepState.CANCELLED),
}


def sweep_control(*, sweep: Sweep, action: str) -> Sweep:
    allowed, target = _CONTROLS[action]
    with transaction.atomic():
        sweep = Sweep.objects.select_for_update().get(pk=sweep.pk)
        if sweep.state not in allowed:
            raise Conflict(f"A {sweep.state} sweep cannot {action}.", state=sweep.state)
        sweep.state = target
        sweep.save(update_fields=["state", "updated_at"])
        if action == "cancel":
            sweep.trials.filter(state__in=ACTIVE).update(
                stop_requested=True, stop_reason="the sweep was cancelled"
            )
    return sweep


def trial_stop(*, sweep: Sweep, run_id: str, reason: str = "stopped by hand") -> SweepRun:
    trial = sweep.trials.filter(run_id=run_id).first()
    if trial is None:
        raise Http404
    if trial.state in ACTIVE and not trial.stop_requested:
        trial.stop_requested = True
        trial.stop_reason = reason[:200]
        trial.save(update_fields=["stop_requested", "stop_reason"])
    return trial


def _agent(sweep: Sweep, agent_id: Any, host: Any = "") -> SweepAgent | None:
    host = text_check("" if host is None else host, "host", 255)
    if agent_id is None:
        return None
    if not isinstance(agent_id, str) or not re.fullmatch(AGENT_ID_PATTERN, agent_id):
        raise BadInput("An agent id is 1-64 of A-Z, a-z, 0-9 and _.:@-", "agent")
    now = timezone.now()
    agent, created = SweepAgent.objects.get_or_create(
        sweep=sweep, agent_id=agent_id, defaults={"host": host, "heartbeat_at": now}
    )
    # An agent asking is alive; a beat a few seconds old says as much and saves a write.
    if not created and (agent.heartbeat_at is None or now - agent.heartbeat_at > _BEAT_FRESH):
        SweepAgent.objects.filter(pk=agent.pk).update(heartbeat_at=now)
    return agent


def _trials(sweep: Sweep, method: str, key: str) -> tuple[int, list[Any]]:
    """How many trials the sweep has, and what its method needs of them (no more: this is the hot path):
    nothing for random, (grid index, state) pairs for grid, `search.Trial`s for bayes."""
    if method == "random":
        return sweep.trials.count(), []
    if method == "grid":
        # Only the points and states, as plain tuples: a thousand Trial objects cost more than the query.
        points = list(sweep.trials.values_list("grid_index", "state"))
        return len(points), points
    found = list(sweep.trials.values_list("pk", "state", "metric"))
    # Parameters only of the trials this process's study has not been told yet.
    unknown = search.bayes_unknown(key, [r[0] for r in found])
    raws: dict[int, Any] = {}
    if unknown:
        qs = sweep.trials.all() if len(unknown) > 500 else sweep.trials.filter(pk__in=unknown)
        raws = dict(qs.values_list("pk", "raw"))
    return len(found), [search.Trial(pk, st, raws.get(pk, {}), m, None) for pk, st, m in found]


@dataclass(frozen=True)
class Next:
    """What an agent does next: `run` (run_id, params), `wait` (paused) or `done` (reason)."""

    action: str
    trial: SweepRun | None = None
    reason: str = ""


def _can_finish(sweep: Sweep) -> None:
    """A sweep with nothing left to hand out and nothing running is finished."""
    if (
        sweep.state in (SweepState.PENDING, SweepState.RUNNING)
        and not sweep.trials.filter(state__in=ACTIVE).exists()
    ):
        sweep.state = SweepState.FINISHED
        sweep.save(update_fields=["state", "updated_at"])


def sweep_next(*, sweep: Sweep, agent_id: Any = None, host: Any = "") -> Next:
    """The next run for an agent, chosen under the sweep's row lock."""
    with transaction.atomic():
        sweep = Sweep.objects.select_for_update().defer("config").get(pk=sweep.pk)
        agent = _agent(sweep, agent_id, host)
        if sweep.state == SweepState.PAUSED:
            return Next("wait", reason="paused")
        if sweep.state in ENDED:
            return Next("done", reason=sweep.state)
        cfg = sweep_config(sweep)
        key = f"{sweep.pk}:{sweep.sweep_id}"
        count, trials = _trials(sweep, cfg.method, key)
        if sweep.run_cap is not None and count >= sweep.run_cap:
            _can_finish(sweep)
            return Next("done", reason="run_cap")
        suggestion, token = search.suggest(cfg, key, trials, count)
        if suggestion is None:
            _can_finish(sweep)
            search.bayes_asked(token, None)
            return Next("done", reason="exhausted")
        trial = None
        try:
            trial = SweepRun.objects.create(
                sweep=sweep,
                run_id=new_id(),
                agent=agent,
                raw=suggestion.raw,
                params=assemble(cfg.params, suggestion.raw),
                grid_index=suggestion.grid_index,
            )
        finally:
            search.bayes_asked(token, trial.pk if trial is not None else None)
        if sweep.state == SweepState.PENDING:
            sweep.state = SweepState.RUNNING
            sweep.save(update_fields=["state", "updated_at"])
    return Next("run", trial=trial)


@dataclass(frozen=True)
class Beat:
    state: str
    stop: list[str]


def agent_heartbeat(*, sweep: Sweep, agent_id: Any, run_ids: Any, host: Any = "") -> Beat:
    """An agent is alive and runs `run_ids`; it is told which of them to stop."""
    if (
        not isinstance(run_ids, list)
        or len(run_ids) > 100
        or not all(isinstance(r, str) and _RUN_ID.fullmatch(r) for r in run_ids)
    ):
        raise BadInput("`runs` is a list of at most 100 run ids.", "runs")
    with transaction.atomic():
        _agent(sweep, agent_id, host)
        stop = list(
            sweep.trials.filter(run_id__in=run_ids, stop_requested=True).values_list(
                "run_id", flat=True
            )
        )
    sweep.refresh_from_db(fields=["state"])
    return Beat(state=sweep.state, stop=stop)


# --- what the runs did (apps/sweeps/receivers.py) ---------------------------


def trial_attach(*, run: Run, sweep_id: Any) -> None:
    """A run created by an agent with its sweep's id: the trial that named its id gets it."""
    if not isinstance(sweep_id, str) or len(sweep_id) > 64:
        return
    SweepRun.objects.filter(
        sweep__project_id=run.project_id,
        sweep__sweep_id=sweep_id,
        run_id=run.run_id,
        linked_run__isnull=True,
    ).update(linked_run=run, state=TrialState.RUNNING)


def summary_metric(summary: dict[str, Any], name: str) -> float | None:
    """The metric from a run's summary: `val/loss` flat, or nested as {"val": {"loss": ...}}."""
    value: Any = summary.get(name)
    if value is None:
        node: Any = summary
        for part in name.replace(".", "/").split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        value = node
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


_ENDED_STATE = {
    RunState.FINISHED: TrialState.FINISHED,
    RunState.FAILED: TrialState.FAILED,
    RunState.CRASHED: TrialState.CRASHED,
}


def trial_record_end(*, run_pk: int) -> None:
    """The trial of a run that ended takes its state and metric; the sweep may end with it."""
    trial = (
        SweepRun.objects.select_related("sweep", "linked_run").filter(linked_run_id=run_pk).first()
    )
    if trial is None or trial.linked_run is None:
        return
    run, sweep = trial.linked_run, trial.sweep
    state = _ENDED_STATE.get(RunState(run.state))
    if state is None:
        return
    if trial.stop_requested:  # however it ended: SIGTERM may leave it crashed
        state = TrialState.STOPPED
    metric = summary_metric(run.summary, sweep.metric_name) if sweep.metric_name else None
    with transaction.atomic():
        sweep = Sweep.objects.select_for_update().get(pk=sweep.pk)
        SweepRun.objects.filter(pk=trial.pk).update(
            state=state, metric=metric, ended_at=timezone.now()
        )
        if metric is not None:
            cfg = sweep_config(sweep)
            if sweep.best_value is None or cfg.better(metric, sweep.best_value):
                sweep.best_value, sweep.best_run_id = metric, trial.run_id
                sweep.save(update_fields=["best_value", "best_run_id", "updated_at"])
            target = cfg.metric_target
            # W&B: a run reaching the target finishes the sweep; running runs go on.
            if (
                target is not None
                and sweep.state not in ENDED
                and (metric == target or cfg.better(metric, target))
            ):
                sweep.state = SweepState.FINISHED
                sweep.save(update_fields=["state", "updated_at"])
        _maybe_finish(sweep)
    enqueue_on_commit("sweeps.compute_importance", sweep.pk)


def _maybe_finish(sweep: Sweep) -> None:
    """After a trial ends: a sweep with nothing more to hand out finishes."""
    if sweep.state not in (SweepState.PENDING, SweepState.RUNNING):
        return
    count = sweep.trials.count()
    if sweep.run_cap is not None and count >= sweep.run_cap:
        _can_finish(sweep)
    elif sweep.method == "grid":
        cfg = sweep_config(sweep)
        if search.grid_next(cfg, _trials(sweep, "grid", "")[1]) is None:
            _can_finish(sweep)


def trials_expire() -> int:
    """Trials handed out whose run never started, and whose agent is silent: crashed.

    Runs that started and went silent are marked crashed by the runs app
    (`runs.mark_dead_runs`), which the receiver hears. A grid point so freed
    is handed out once more; random and bayes draw afresh.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.CAIRN_HEARTBEAT_TIMEOUT)
    stale = SweepRun.objects.filter(state=TrialState.ASSIGNED, created_at__lt=cutoff).exclude(
        agent__heartbeat_at__gte=cutoff
    )
    return stale.update(state=TrialState.CRASHED, ended_at=timezone.now())
