"""The sweeps API's answers, as plain dicts (described in apps/sweeps/schemas.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.urls import reverse

from apps.sweeps.models import Sweep, SweepRun


def sweep_path(sweep: Sweep) -> str:
    return f"{sweep.project.organization.slug}/{sweep.project.slug}/{sweep.sweep_id}"


def sweep_payload(sweep: Sweep, counts: dict[str, int] | None = None) -> dict[str, Any]:
    if counts is None:
        counts = dict(
            sweep.trials.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
        )
    metric = sweep.config.get("metric") if isinstance(sweep.config.get("metric"), dict) else None
    org, project = sweep.project.organization.slug, sweep.project.slug
    return {
        "id": sweep.sweep_id,
        "path": sweep_path(sweep),
        "name": sweep.name,
        "state": sweep.state,
        "method": sweep.method,
        "metric": metric,
        "config": sweep.config,
        "run_cap": sweep.run_cap,
        "run_count": sum(counts.values()),
        "runs_by_state": counts,
        "best_run_id": sweep.best_run_id,
        "best_value": sweep.best_value,
        "created_by": sweep.created_by.username if sweep.created_by else None,
        "created_at": sweep.created_at,
        "updated_at": sweep.updated_at,
        "url": reverse("sweep-page", args=[org, project, sweep.sweep_id]),
    }


def trial_payload(trial: SweepRun) -> dict[str, Any]:
    return {
        "run_id": trial.run_id,
        "state": trial.state,
        "params": trial.params,
        "metric": trial.metric,
        "run_state": trial.linked_run.state if trial.linked_run_id and trial.linked_run else None,
        "stop_requested": trial.stop_requested,
        "stop_reason": trial.stop_reason,
        "created_at": trial.created_at,
        "ended_at": trial.ended_at,
    }
