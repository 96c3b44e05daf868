"""Reads of the sweeps app."""

from __future__ import annotations

from django.db.models import Count
from django.http import Http404

from apps.runs.models import Project
from apps.sweeps.models import Sweep, SweepRun

MAX_SWEEPS = 500


def sweep_get(*, project: Project, sweep_id: str) -> Sweep:
    sweep = (
        Sweep.objects.select_related("created_by")
        .filter(project=project, sweep_id=sweep_id.lower())
        .first()
    )
    if sweep is None:
        raise Http404
    sweep.project = project
    return sweep


def sweep_list(*, project: Project) -> list[tuple[Sweep, dict[str, int]]]:
    """The project's sweeps, newest first, with their runs counted by state (one query for all counts)."""
    sweeps = list(
        Sweep.objects.select_related("created_by")
        .filter(project=project)
        .order_by("-created_at")[:MAX_SWEEPS]
    )
    counts: dict[int, dict[str, int]] = {s.pk: {} for s in sweeps}
    rows = (
        SweepRun.objects.filter(sweep__in=[s.pk for s in sweeps])
        .values_list("sweep_id", "state")
        .annotate(n=Count("pk"))
        .values_list("sweep_id", "state", "n")
    )
    for sweep_pk, state, n in rows:
        counts[sweep_pk][state] = n
    for s in sweeps:
        s.project = project
    return [(s, counts[s.pk]) for s in sweeps]


def trial_list(*, sweep: Sweep) -> list[SweepRun]:
    return list(sweep.trials.select_related("linked_run").order_by("created_at", "pk"))
