"""Pages: a project's sweeps, and one sweep with its controls and charts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.access import Access
from apps.runs.permissions import page_project
from apps.sweeps import selectors
from apps.sweeps.serializers import sweep_path


def sweep_list_page(request: HttpRequest, org: str, project: str) -> HttpResponse:
    p, access = page_project(request, org, project, Access.READ)
    sweeps = selectors.sweep_list(project=p)
    return render(
        request, "sweeps/list.html", {"project": p, "org": p.organization, "sweeps": sweeps}
    )


def sweep_page(request: HttpRequest, org: str, project: str, sweep_id: str) -> HttpResponse:
    p, access = page_project(request, org, project, Access.READ)
    sweep = selectors.sweep_get(project=p, sweep_id=sweep_id)
    data = {
        "api": f"/api/v1/projects/{p.organization.slug}/{p.slug}/sweeps/{sweep.sweep_id}",
        "history_api": f"/api/v1/projects/{p.organization.slug}/{p.slug}/history",
        "run_base": f"/{p.organization.slug}/{p.slug}/runs/",
        # "To a report": the reports' own panels over this sweep's runs (apps/reports).
        "reports_api": f"/api/v1/projects/{p.organization.slug}/{p.slug}/reports",
        "reports_base": f"/{p.organization.slug}/{p.slug}/reports/",
        "sweep_id": sweep.sweep_id,
        "metric": sweep.metric_name,
        "goal": sweep.metric_goal,
        "can_write": access >= Access.WRITE,
    }
    return render(
        request,
        "sweeps/sweep.html",
        {
            "project": p,
            "org": p.organization,
            "sweep": sweep,
            "path": sweep_path(sweep),
            "page_data": data,
            "can_write": access >= Access.WRITE,
        },
    )
