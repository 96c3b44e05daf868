"""Writes: benchmarks, invitations, submissions, their scoring and moderation."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.models import User as DjangoUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.benchmarks.models import (
    ACTIVE_STATUSES,
    Benchmark,
    BenchmarkInvite,
    BenchmarkVisibility,
    Direction,
    Submission,
    SubmissionSeries,
    SubmissionStatus,
)
from apps.benchmarks.permissions import benchmark_resolve, org_may_submit
from apps.core.access import Access
from apps.core.errors import BadInput, Conflict
from apps.core.slugs import slug_check
from apps.core.tasks import enqueue_on_commit
from apps.core.validation import text_check
from apps.orgs.models import Organization
from apps.runs.models import Run, RunState
from apps.runs.selectors import history_summaries_at

log = logging.getLogger(__name__)

MAX_SECONDARY = 20
MAX_CONFIG_COLUMNS = 20
MAX_SUMMARY_STRING = 1000
MAX_PRECISION = 12


# --- Benchmarks --------------------------------------------------------------


def _url_check(value: Any, field: str) -> str:
    text = text_check(value, field, 500).strip()
    if text and not text.startswith(("https://", "http://")):
        raise BadInput("Must be an http(s) URL.", field)
    return text


def _key_check(value: Any, field: str) -> str:
    key = text_check(value, field, 256).strip()
    if not key:
        raise BadInput("Must not be empty.", field)
    return key


def _secondary_check(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > MAX_SECONDARY:
        raise BadInput(f"Must be a list of at most {MAX_SECONDARY} metrics.", "secondary_metrics")
    out = []
    for i, item in enumerate(value):
        field = f"secondary_metrics[{i}]"
        if isinstance(item, str):
            item = {"key": item}
        if not isinstance(item, dict):
            raise BadInput('Each is a summary key or {"name", "key"}.', field)
        key = _key_check(item.get("key"), f"{field}.key")
        name = item.get("name", key)
        out.append({"name": text_check(name, f"{field}.name", 200) or key, "key": key})
    return out


def _config_columns_check(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_CONFIG_COLUMNS:
        raise BadInput(f"Must be a list of at most {MAX_CONFIG_COLUMNS} config keys.", "config_columns")
    return [_key_check(v, f"config_columns[{i}]") for i, v in enumerate(value)]


def _apply(benchmark: Benchmark, data: dict[str, Any]) -> None:
    for field, limit in (("name", 200), ("description", 100_000), ("rules", 100_000)):
        if field in data:
            setattr(benchmark, field, text_check(data[field], field, limit))
    for field in ("task_url", "dataset_url"):
        if field in data:
            setattr(benchmark, field, _url_check(data[field], field))
    if "metric_key" in data:
        benchmark.metric_key = _key_check(data["metric_key"], "metric_key")
    if "metric_name" in data:
        benchmark.metric_name = text_check(data["metric_name"], "metric_name", 200)
    if "direction" in data:
        if data["direction"] not in Direction.values:
            raise BadInput("Use higher or lower.", "direction")
        benchmark.direction = data["direction"]
    if "precision" in data:
        p = data["precision"]
        if p is not None and (isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= MAX_PRECISION):
            raise BadInput(f"Decimal places: 0 to {MAX_PRECISION}, or null for six significant digits.", "precision")
        benchmark.precision = p
    if "secondary_metrics" in data:
        benchmark.secondary_metrics = _secondary_check(data["secondary_metrics"])
    if "config_columns" in data:
        benchmark.config_columns = _config_columns_check(data["config_columns"])
    if "requires_approval" in data:
        if not isinstance(data["requires_approval"], bool):
            raise BadInput("Must be true or false.", "requires_approval")
        benchmark.requires_approval = data["requires_approval"]
    if "visibility" in data:
        if data["visibility"] not in BenchmarkVisibility.values:
            raise BadInput("Use public or limited.", "visibility")
        benchmark.visibility = data["visibility"]
    benchmark.metric_name = benchmark.metric_name or benchmark.metric_key


def benchmark_create(*, org: Organization, user: Any, data: dict[str, Any]) -> Benchmark:
    slug = slug_check(data.get("slug"))
    if not data.get("metric_key"):
        raise BadInput("Required: the summary key the score is read from.", "metric_key")
    benchmark = Benchmark(organization=org, slug=slug, name=slug, created_by=user)
    _apply(benchmark, data)
    try:
        with transaction.atomic():
            benchmark.save()
    except IntegrityError:
        raise Conflict(f"Benchmark {org.slug}/{slug} exists.") from None
    return benchmark


def benchmark_update(*, benchmark: Benchmark, data: dict[str, Any]) -> Benchmark:
    scored_keys = ("metric_key", "direction", "secondary_metrics")
    old = (benchmark.metric_key, benchmark.direction, benchmark.secondary_metrics)
    _apply(benchmark, data)
    changed = (benchmark.metric_key, benchmark.direction, benchmark.secondary_metrics) != old
    if changed and benchmark.submissions.exists():
        # Scores were read by the old rules; a new task is a new benchmark.
        raise Conflict(f"{', '.join(scored_keys)} cannot change once runs are submitted.")
    benchmark.save()
    return benchmark


def invite_set(*, benchmark: Benchmark, org_slug: str, invited: bool) -> None:
    org = Organization.objects.filter(slug=org_slug.lower()).first()
    if org is None:
        raise BadInput(f"No organisation {org_slug!r}.", "org")
    if invited:
        BenchmarkInvite.objects.get_or_create(benchmark=benchmark, organization=org)
    else:
        BenchmarkInvite.objects.filter(benchmark=benchmark, organization=org).delete()


# --- Submitting ----------------------------------------------------------------


def _scalar_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary values a leaderboard can show: numbers, booleans and short text.

    Objects (media and table references, histograms) stay in the project.
    """
    out: dict[str, Any] = {}
    for k, v in summary.items():
        if isinstance(v, (bool, int, float)) or v is None:
            out[k] = v
        elif isinstance(v, str):
            out[k] = v[:MAX_SUMMARY_STRING]
    return out


def _code(run: Run) -> dict[str, Any]:
    git = (run.system or {}).get("git") or {}
    if not isinstance(git, dict) or not isinstance(git.get("commit"), str):
        return {}
    return {"commit": git["commit"][:64], "dirty": bool(git.get("dirty"))}


def _freeze(submission: Submission, run: Run) -> None:
    """Copy what the entry shares, now: later changes to the run do not reach it."""
    submission.summary = _scalar_summary(run.summary or {})
    submission.config = run.config or {}
    submission.code = _code(run)
    submission.run_state = run.state
    submission.last_step = run.last_step
    submission.submitted_at = timezone.now()
    submission.status = SubmissionStatus.SCORING
    submission.series_frozen = True  # the charts' copies: _series_copy, once saved


def _series_copy(submission: Submission) -> None:
    """Copy the charts the entry shares, up to the submitted step (see SubmissionSeries)."""
    if submission.last_step is None:
        return  # the run had logged no history
    series = history_summaries_at(run=Run(pk=submission.run_id), max_step=submission.last_step)
    SubmissionSeries.objects.bulk_create(
        SubmissionSeries(submission=submission, key=k, count=count, summary=blob) for k, (count, blob) in series.items()
    )


def submission_series_freeze(*, submission: Submission) -> None:
    """An entry frozen before its charts were copied gets them now, once: the run's
    history up to the step it was submitted at."""
    if submission.series_frozen or submission.submitted_at is None:
        return
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if not locked.series_frozen:
            _series_copy(locked)
            Submission.objects.filter(pk=locked.pk).update(series_frozen=True)
    submission.series_frozen = True


def _queue_scoring(submission_id: int) -> None:
    enqueue_on_commit("benchmarks.score_submission", submission_id)


def _check_may_submit(benchmark: Benchmark, run: Run) -> None:
    if not org_may_submit(benchmark=benchmark, org_id=run.project.organization_id):
        raise BadInput(
            f"Organisation {run.project.organization.slug} is not invited to this benchmark.", "run"
        )


def submission_create(*, benchmark: Benchmark, run: Run, user: Any, name: str = "") -> Submission:
    """Submit a run now: its summary is frozen and the scoring task queued.

    The caller has checked the user may write to the run's project and see
    the benchmark.
    """
    _check_may_submit(benchmark, run)
    submission = Submission(
        benchmark=benchmark,
        run=run,
        organization_id=run.project.organization_id,
        submitted_by=user if getattr(user, "is_authenticated", False) else None,
        name=text_check(name, "name", 200) or run.name or run.run_id,
    )
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        _freeze(submission, locked)
        try:
            with transaction.atomic():
                submission.save()
        except IntegrityError:
            raise Conflict("This run is already submitted to this benchmark.") from None
        _series_copy(submission)
        _queue_scoring(submission.pk)
    return submission


def submission_request_on_finish(
    *, run: Run, user: AbstractBaseUser | AnonymousUser, benchmark_path: Any
) -> Submission | None:
    """`agent.init(benchmark=...)`: enter the run when it finishes.

    Never fails the run's own request: a benchmark the user cannot see or
    enter is logged and left out.
    """
    if not isinstance(benchmark_path, str) or benchmark_path.count("/") != 1:
        log.warning("run %s: benchmark %r is not 'owner/slug'", run.pk, benchmark_path)
        return None
    owner, slug = benchmark_path.split("/")
    try:
        benchmark, _ = benchmark_resolve(user=user, owner=owner, slug=slug, need=Access.READ)
        _check_may_submit(benchmark, run)
    except Exception as e:  # Http404, BadInput: the user learns it from the leaderboard
        log.warning("run %s: cannot enter benchmark %s: %r", run.pk, benchmark_path, e)
        return None
    if Submission.objects.filter(benchmark=benchmark, run=run, status__in=ACTIVE_STATUSES).exists():
        return None
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                benchmark=benchmark,
                run=run,
                organization_id=run.project.organization_id,
                submitted_by=user if isinstance(user, DjangoUser) else None,
                name=run.name or run.run_id,
                status=SubmissionStatus.WAITING,
            )
    except IntegrityError:  # the same create, racing
        return None
    if run.state != RunState.RUNNING:  # a resume that asked too late: nothing to wait for
        submissions_run_finished(run_pk=run.pk)
    return submission


def submissions_run_finished(*, run_pk: int) -> int:
    """The run finished: freeze and score the submissions waiting for it."""
    with transaction.atomic():
        waiting = list(
            Submission.objects.select_for_update().filter(run_id=run_pk, status=SubmissionStatus.WAITING)
        )
        if not waiting:
            return 0
        # Locked as an append locks it: the copy and the step it stops at agree.
        run = Run.objects.select_for_update().get(pk=run_pk)
        for submission in waiting:
            _freeze(submission, run)
            submission.save()
            _series_copy(submission)
            _queue_scoring(submission.pk)
    return len(waiting)


# --- Scoring ---------------------------------------------------------------------


def _finite(summary: dict[str, Any], key: str, label: str) -> float:
    if key not in summary:
        raise ValueError(f"The run's summary has no {label!r} (key {key!r}).")
    value = summary[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{label} ({key}) is not a number: {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{label} ({key}) is {value}, not a finite number.")
    return value


def submission_score(*, submission_id: int) -> str:
    """Validate a frozen submission and read its score; returns the new status.

    Idempotent: a submission already scored is left as it is.
    """
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update().select_related("benchmark").filter(pk=submission_id).first()
        )
        if submission is None or submission.status != SubmissionStatus.SCORING:
            return submission.status if submission else "missing"
        benchmark = submission.benchmark
        try:
            if submission.run_state != RunState.FINISHED:
                raise ValueError(f"The run is {submission.run_state or 'unknown'}, not finished.")
            score = _finite(submission.summary, benchmark.metric_key, benchmark.metric_name)
            metrics = {benchmark.metric_key: score}
            for m in benchmark.secondary_metrics:
                metrics[m["key"]] = _finite(submission.summary, m["key"], m["name"])
        except ValueError as e:
            submission.status = SubmissionStatus.REFUSED
            submission.reason = str(e)
        else:
            submission.score = score
            submission.rank_key = benchmark.rank_key(score)
            submission.metrics = metrics
            submission.status = (
                SubmissionStatus.PENDING if benchmark.requires_approval else SubmissionStatus.ACCEPTED
            )
        submission.scored_at = timezone.now()
        submission.save()
        return submission.status


# --- Moderation and withdrawal -------------------------------------------------------

_MODERATION = {
    # action: (statuses it applies to, the status it sets)
    "approve": ((SubmissionStatus.PENDING, SubmissionStatus.REJECTED), SubmissionStatus.ACCEPTED),
    "reject": ((SubmissionStatus.PENDING, SubmissionStatus.ACCEPTED), SubmissionStatus.REJECTED),
    "hide": ((SubmissionStatus.ACCEPTED, SubmissionStatus.PENDING), SubmissionStatus.HIDDEN),
    "unhide": ((SubmissionStatus.HIDDEN,), SubmissionStatus.ACCEPTED),
}


def submission_moderate(*, submission: Submission, user: Any, action: str, reason: str = "") -> Submission:
    """Approve, reject, hide or unhide; the caller is an admin of the benchmark's owner."""
    if action not in _MODERATION:
        raise BadInput(f"Use one of: {', '.join(_MODERATION)}.", "action")
    reason = text_check(reason, "reason", 2000).strip()
    if action == "hide" and not reason:
        raise BadInput("Say why the entry is hidden.", "reason")
    allowed, to = _MODERATION[action]
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status not in allowed:
            raise Conflict(f"Cannot {action} a submission that is {locked.status}.", status=locked.status)
        locked.status = to
        locked.reason = reason
        locked.moderated_at = timezone.now()
        locked.moderated_by = user
        locked.save(update_fields=["status", "reason", "moderated_at", "moderated_by"])
    return locked


def submission_withdraw(*, submission: Submission) -> Submission:
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status in (SubmissionStatus.WITHDRAWN,):
            return locked
        locked.status = SubmissionStatus.WITHDRAWN
        locked.save(update_fields=["status"])
    return locked
