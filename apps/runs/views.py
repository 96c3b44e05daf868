"""Pages of a project: the runs table and workspace, a run, a comparison."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.runs import selectors
from apps.runs.pages import page_project
from apps.runs.permissions import Access


def _page_context(project: object, access: Access) -> dict[str, object]:
    p = project
    return {
        "project": p,
        "org": p.organization,  # type: ignore[attr-defined]
        "can_write": access >= Access.WRITE,
        "is_admin": access >= Access.ADMIN,
        "page_data": {
            "org": p.organization.slug,  # type: ignore[attr-defined]
            "project": p.slug,  # type: ignore[attr-defined]
            "api": f"/api/v1/projects/{p.organization.slug}/{p.slug}",  # type: ignore[attr-defined]
            "canWrite": access >= Access.WRITE,
            "isAdmin": access >= Access.ADMIN,
        },
    }


def project_page(request: HttpRequest, org: str, project: str) -> HttpResponse:
    p, access = page_project(request, org, project)
    return render(request, "runs/project.html", _page_context(p, access))


def run_page(request: HttpRequest, org: str, project: str, run_id: str) -> HttpResponse:
    p, access = page_project(request, org, project)
    run = selectors.run_get(project=p, run_id=run_id)
    context = _page_context(p, access)
    context["run"] = run
    context["page_data"]["run"] = run.run_id  # type: ignore[index]
    return render(request, "runs/run.html", context)


def compare_page(request: HttpRequest, org: str, project: str) -> HttpResponse:
    p, access = page_project(request, org, project)
    run_ids = [r for r in request.GET.get("runs", "").split(",") if r][:20]
    runs = [selectors.run_get(project=p, run_id=r) for r in run_ids]
    context = _page_context(p, access)
    context["runs"] = runs
    return render(request, "runs/compare.html", context)
