"""Pages of a project: the runs table and workspace, a run, a comparison."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.runs import compare, selectors, tables
from apps.runs.errors import BadInput
from apps.runs.models import Project
from apps.runs.pages import page_project
from apps.runs.permissions import Access
from apps.runs.rendering import nonfinite_as_strings

MAX_COMPARE = 20


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
    context = _page_context(p, access)
    context["table_data"] = _table_initial(request, p)
    return render(request, "runs/project.html", context)


def _table_initial(request: HttpRequest, project: Project) -> dict[str, Any]:
    """The runs table's first page, in the HTML: the table shows without a round trip."""
    filter_text, order_text = request.GET.get("filter", ""), request.GET.get("order", "")
    columns = tables.view_get(project=project)
    try:
        page = tables.table_page(project=project, filter_text=filter_text, order_text=order_text, columns=columns)
        error = None
    except BadInput as e:
        page = tables.table_page(project=project, filter_text="", order_text="", columns=columns)
        error = {"error": str(e.detail), "field": e.field}
    data = {"filter": filter_text, "order": order_text, "page": page, "error": error,
            "layout": [c.id for c in columns]}
    return dict(nonfinite_as_strings(data))


def run_page(request: HttpRequest, org: str, project: str, run_id: str) -> HttpResponse:
    p, access = page_project(request, org, project)
    run = selectors.run_get(project=p, run_id=run_id)
    context = _page_context(p, access)
    context["run"] = run
    context["page_data"]["run"] = run.run_id  # type: ignore[index]
    return render(request, "runs/run.html", context)


def compare_page(request: HttpRequest, org: str, project: str) -> HttpResponse:
    p, access = page_project(request, org, project)
    run_ids = list(dict.fromkeys(r for r in request.GET.get("runs", "").split(",") if r))[:MAX_COMPARE]
    runs = [selectors.run_get(project=p, run_id=r) for r in run_ids]
    context = _page_context(p, access)
    context["runs"] = runs
    context["sections"] = compare.compare_sections(runs)
    context["commits"] = compare.commits(runs)
    context["patch_diffs"] = compare.patch_diffs(runs)
    return render(request, "runs/compare.html", context)
