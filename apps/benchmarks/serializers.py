"""Output shapes of the benchmarks API, as plain functions."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from apps.benchmarks.models import Benchmark, Submission
from apps.runs.serializers import _iso, absolute_url


def benchmark_path(benchmark: Benchmark) -> str:
    return f"{benchmark.organization.slug}/{benchmark.slug}"


def benchmark_payload(benchmark: Benchmark, request: Request | None = None) -> dict[str, Any]:
    return {
        "owner": benchmark.organization.slug,
        "slug": benchmark.slug,
        "path": benchmark_path(benchmark),
        "name": benchmark.name,
        "description": benchmark.description,
        "rules": benchmark.rules,
        "task_url": benchmark.task_url,
        "dataset_url": benchmark.dataset_url,
        "metric": {"name": benchmark.metric_name, "key": benchmark.metric_key, "direction": benchmark.direction},
        "precision": benchmark.precision,
        "secondary_metrics": benchmark.secondary_metrics,
        "config_columns": benchmark.config_columns,
        "requires_approval": benchmark.requires_approval,
        "visibility": benchmark.visibility,
        "created_at": _iso(benchmark.created_at),
        "url": absolute_url(request, f"/benchmarks/{benchmark_path(benchmark)}/"),
    }


def entry_url(benchmark: Benchmark, submission_id: int) -> str:
    return f"/benchmarks/{benchmark_path(benchmark)}/entries/{submission_id}/"


def entry_payload(s: Submission, benchmark: Benchmark, request: Request | None = None) -> dict[str, Any]:
    """A leaderboard row: only what the benchmark shows of the run."""
    config = s.config or {}
    return {
        "id": s.pk,
        "rank": getattr(s, "rank", None),
        "name": s.name,
        "org": s.organization.slug,
        "submitted_by": s.submitted_by.get_username() if s.submitted_by else None,
        "score": s.score,
        "metrics": {m["key"]: s.metrics.get(m["key"]) for m in benchmark.secondary_metrics},
        "config": {k: config.get(k) for k in benchmark.config_columns},
        "code": s.code,
        "submitted_at": _iso(s.submitted_at),
        "url": absolute_url(request, entry_url(benchmark, s.pk)),
    }


def submission_payload(s: Submission, benchmark: Benchmark, request: Request | None = None) -> dict[str, Any]:
    """A submission with its status: for the submitter, the owner's admins, and the shared view."""
    return {
        **entry_payload(s, benchmark, request),
        "benchmark": benchmark_path(benchmark),
        "status": s.status,
        "reason": s.reason,
        "created_at": _iso(s.created_at),
        "scored_at": _iso(s.scored_at),
    }


def shared_run_payload(s: Submission, benchmark: Benchmark, request: Request | None = None) -> dict[str, Any]:
    """The shared run view: the frozen summary and config, the code version."""
    return {
        **submission_payload(s, benchmark, request),
        "summary": s.summary,
        "config": s.config,
        "run_state": s.run_state,
        "last_step": s.last_step,
    }
