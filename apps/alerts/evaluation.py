"""When rules are met: thresholds on appended rows, run ends, agent alerts, stalls, aliases.

The ingest announces every batch (apps/runs/signals.py `history_appended`), so
the threshold check must cost next to nothing: each process keeps each
project's metric rules in memory for `CAIRN_ALERT_RULE_CACHE_SECONDS` (a
project without rules costs one dictionary lookup), looks only at the keys the
rules name, and remembers which (rule, run) pairs already fired, so a metric
that stays past its threshold does not query the database on every batch.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.alerts.conditions import Condition
from apps.alerts.firing import event_fire
from apps.alerts.models import Rule, RuleKind
from apps.runs.history import decode_chunk
from apps.runs.models import AlertLevel, HistoryChunk, Run, RunAlert, RunState, Stream

LEVELS = {AlertLevel.INFO: 0, AlertLevel.WARN: 1, AlertLevel.ERROR: 2}
_FIRED_MEMORY = 10_000


@dataclass(frozen=True)
class MetricRule:
    pk: int
    condition: Condition


class _RuleCache:
    """Per process: project id -> (read at, its metric rules by stream)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rules: dict[int, tuple[float, dict[str, list[MetricRule]]]] = {}
        self.fired: OrderedDict[tuple[int, int], None] = OrderedDict()

    def metric_rules(self, project_id: int, stream: str) -> list[MetricRule]:
        now = time.monotonic()
        hit = self.rules.get(project_id)
        if hit is None or now - hit[0] > settings.CAIRN_ALERT_RULE_CACHE_SECONDS:
            by_stream: dict[str, list[MetricRule]] = {}
            rows = Rule.objects.filter(project_id=project_id, kind=RuleKind.METRIC, enabled=True)
            for r in rows.only("pk", "stream", "key", "op", "value"):
                cond = Condition(r.stream, r.key, r.op, r.value if r.value is not None else 0.0)
                by_stream.setdefault(r.stream, []).append(MetricRule(r.pk, cond))
            hit = (now, by_stream)
            with self.lock:
                self.rules[project_id] = hit
        return hit[1].get(stream, [])

    def forget(self, project_id: int) -> None:
        with self.lock:
            self.rules.pop(project_id, None)

    def seen(self, rule_pk: int, run_pk: int) -> bool:
        return (rule_pk, run_pk) in self.fired

    def remember(self, rule_pk: int, run_pk: int) -> None:
        with self.lock:
            self.fired[(rule_pk, run_pk)] = None
            while len(self.fired) > _FIRED_MEMORY:
                self.fired.popitem(last=False)


CACHE = _RuleCache()


def rules_changed(*, project_id: int) -> None:
    """This process reads the project's rules again at once (others within the cache's seconds)."""
    CACHE.forget(project_id)


def history_check(*, run_pk: int, project_id: int, stream: str, numeric: dict[str, Any]) -> int:
    """Metric rules met by a batch just appended; returns how many fired."""
    rules = CACHE.metric_rules(project_id, stream)
    if not rules:
        return 0
    fired = 0
    for mr in rules:
        column = numeric.get(mr.condition.key)
        if column is None or CACHE.seen(mr.pk, run_pk):
            continue
        steps, values = column
        at = mr.condition.first_match(values)
        if at is None:
            continue
        CACHE.remember(mr.pk, run_pk)
        fired += _metric_fire(mr, run_pk, int(steps[at]), float(values[at]))
    return fired


def _number(value: float) -> str:
    return "NaN" if math.isnan(value) else f"{value:.6g}"


def _metric_fire(mr: MetricRule, run_pk: int, step: int, value: float) -> int:
    rule = Rule.objects.select_related("project__organization").filter(pk=mr.pk).first()
    run = Run.objects.filter(pk=run_pk).first()
    if rule is None or run is None:
        return 0
    title = f"{rule.name}: {mr.condition.text()} in run {run.name or run.run_id}"
    text = f"{mr.condition.key} = {_number(value)} at step {step} (rule: {rule.condition})"
    event = event_fire(rule=rule, run=run, dedupe_key=f"metric:{run_pk}", title=title, text=text, level="WARN")
    return int(event is not None)


def _rules(project_id: int, kind: str) -> list[Rule]:
    return list(Rule.objects.select_related("project__organization").filter(project_id=project_id, kind=kind))


def run_finished_check(*, run_pk: int) -> int:
    """Failure and finish rules of the run's project; each fires once per run and end state."""
    run = Run.objects.filter(pk=run_pk).first()
    if run is None or run.state == RunState.RUNNING:
        return 0
    fired = 0
    name = run.name or run.run_id
    if run.state in (RunState.FAILED, RunState.CRASHED):
        for rule in _rules(run.project_id, RuleKind.RUN_FAILED):
            if run.state not in (rule.states or [RunState.FAILED, RunState.CRASHED]):
                continue
            text = f"Run {name} {run.state}" + (f" with exit code {run.exit_code}." if run.exit_code is not None else ".")
            if run.state == RunState.CRASHED:
                text = f"Run {name} stopped sending heartbeats and was marked crashed."
            event = event_fire(
                rule=rule, run=run, dedupe_key=f"end:{run_pk}", title=f"{rule.name}: run {name} {run.state}",
                text=text, level="ERROR",
            )
            fired += event is not None
    if run.state == RunState.FINISHED:
        for rule in _rules(run.project_id, RuleKind.RUN_FINISHED):
            fired += _finished_fire(rule, run)
    return fired


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _better(goal: str, a: float, b: float | None) -> bool:
    return b is None or (a < b if goal == "min" else a > b)


def project_best(*, rule: Rule, exclude_run: int | None = None) -> float | None:
    """The best finished run's summary value of `rule.best_key` in the project."""
    best: float | None = None
    runs = Run.objects.filter(project_id=rule.project_id, state=RunState.FINISHED)
    if exclude_run is not None:
        runs = runs.exclude(pk=exclude_run)
    for summary in runs.values_list("summary", flat=True).iterator(chunk_size=500):
        v = _finite((summary or {}).get(rule.best_key))
        if v is not None and _better(rule.best_goal, v, best):
            best = v
    return best


def _finished_fire(rule: Rule, run: Run) -> int:
    name = run.name or run.run_id
    text = f"Run {name} finished."
    if rule.best_key:
        value = _finite(run.summary.get(rule.best_key))
        if value is None:
            return 0
        # The best so far is kept on the rule; the first time, it is read from the project's runs.
        best = rule.best_value if rule.best_value is not None else project_best(rule=rule, exclude_run=run.pk)
        if not _better(rule.best_goal, value, best):
            return 0
        Rule.objects.filter(pk=rule.pk).update(best_value=value)
        was = "none before" if best is None else f"was {best:.6g}"
        text = f"Run {name} finished with {rule.best_key} = {value:.6g}, the project's best ({was})."
    event = event_fire(rule=rule, run=run, dedupe_key=f"finished:{run.pk}", title=f"{rule.name}: {name}", text=text)
    return int(event is not None)


def agent_alert_check(*, alert_pk: int) -> int:
    """`run.alert()`: once per alert id; repeats merged into it within `wait_duration` add to its count only."""
    alert = RunAlert.objects.select_related("run").filter(pk=alert_pk).first()
    if alert is None:
        return 0
    fired = 0
    for rule in _rules(alert.run.project_id, RuleKind.AGENT_ALERT):
        if LEVELS.get(AlertLevel(alert.level), 0) < LEVELS.get(AlertLevel(rule.min_level or "INFO"), 0):
            continue
        event = event_fire(
            rule=rule, run=alert.run, dedupe_key=f"alert:{alert.pk}", title=alert.title, text=alert.text,
            level=alert.level,
        )
        fired += event is not None
    return fired


def alias_moved_check(*, project_id: int | None, artifact: str, alias: str, version_id: int, **_: Any) -> int:
    if project_id is None:
        return 0  # a registry link: registries have no rules of their own yet
    fired = 0
    for rule in _rules(project_id, RuleKind.ALIAS_MOVED):
        if (rule.artifact and rule.artifact != artifact) or (rule.alias and rule.alias != alias):
            continue
        event = event_fire(
            rule=rule, run=None, dedupe_key=f"alias:{artifact}:{alias}:{version_id}",
            title=f"{rule.name}: {artifact}:{alias} moved", text=f"Alias {alias} of {artifact} now points to version {version_id}.",
        )
        fired += event is not None
    return fired


def _last_history_at(run: Run) -> float:
    chunk = (
        HistoryChunk.objects.filter(run=run, stream=Stream.HISTORY).order_by("-first_offset").values_list("payload", flat=True).first()
    )
    if chunk is None:
        return run.created_at.timestamp()
    times = decode_chunk(bytes(chunk), ()).times
    return float(times.max()) if len(times) else run.created_at.timestamp()


def stalled_check() -> int:
    """Running runs with no new history (or no heartbeat) for a stall rule's minutes."""
    fired = 0
    now = timezone.now()
    for rule in Rule.objects.select_related("project__organization").filter(kind=RuleKind.RUN_STALLED, enabled=True):
        cutoff = now - timedelta(minutes=rule.minutes or 30)
        for run in Run.objects.filter(project_id=rule.project_id, state=RunState.RUNNING, created_at__lt=cutoff)[:1000]:
            silent_hb = run.heartbeat_at is not None and run.heartbeat_at < cutoff
            if not silent_hb and _last_history_at(run) >= cutoff.timestamp():
                continue
            name = run.name or run.run_id
            why = "no heartbeat" if silent_hb else "no new history"
            event = event_fire(
                rule=rule, run=run, dedupe_key=f"stalled:{run.pk}:{run.history_offset}",
                title=f"{rule.name}: run {name} stalled", text=f"Run {name}: {why} for {rule.minutes} minutes.",
                level="WARN",
            )
            fired += event is not None
    return fired
