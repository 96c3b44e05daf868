"""A panel's run set: which runs it draws from (a list of ids, or a filter and order)."""

from __future__ import annotations

from typing import Any

from apps.reports.models import Report
from apps.runs import selectors, workspace
from apps.runs.models import Project, Run
from apps.runs.query import FilterError


def runset_runs(*, report: Report, runset: dict[str, Any]) -> list[Run]:
    """The run set's runs, at most its limit; a missing project or a bad filter gives none."""
    slug = runset.get("project") or report.project.slug
    project = report.project if slug == report.project.slug else (
        Project.objects.filter(organization_id=report.project.organization_id, slug=slug).first()
    )
    if project is None:
        return []
    limit = int(runset.get("limit", workspace.MAX_RUNS))
    if "runs" in runset:
        by_id = {r.run_id: r for r in Run.objects.filter(project=project, run_id__in=runset["runs"])}
        return [by_id[r] for r in runset["runs"] if r in by_id][:limit]
    try:
        runs = selectors.run_order(selectors.run_list(project=project, filter_text=runset.get("filter", "")),
                                   runset.get("order", ""))
        return list(runs[:limit])
    except FilterError:
        return []
