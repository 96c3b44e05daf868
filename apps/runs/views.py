"""Pages of projects: an organisation's projects, the runs table and workspace, a run, a group, a comparison."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db import OperationalError, transaction
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.core import directory
from apps.core.access import Access
from apps.core.errors import BadInput, Conflict, is_query_timeout, query_timeout_message
from apps.core.rendering import nonfinite_as_strings, unstorable_text_find
from apps.orgs.permissions import page_org
from apps.runs import compare, groups, selectors, services, table, workspace
from apps.runs.models import Project, RunState, Stream, Visibility
from apps.runs.permissions import page_project

MAX_COMPARE = 20


@require_http_methods(["GET", "POST"])
def org_home(request: HttpRequest, org: str) -> HttpResponse:
    organization, access = page_org(request, org, Access.NONE)
    error = ""
    if request.method == "POST":
        page_org(request, org, Access.WRITE)
        try:
            project = services.project_create(
                org=organization,
                slug=request.POST.get("slug", ""),
                name=request.POST.get("name", ""),
                visibility=request.POST.get("visibility", Visibility.PRIVATE),
            )
        except (BadInput, Conflict) as e:
            error = str(e.detail)
        else:
            return redirect("project", org=organization.slug, project=project.slug)
    projects = organization.projects.all() if access >= Access.READ else organization.projects.filter(visibility=Visibility.PUBLIC)
    if access == Access.NONE and not projects.exists():
        raise Http404
    projects = projects.annotate(run_count=Count("runs"), last_run=Max("runs__heartbeat_at")).order_by("slug")
    return render(
        request,
        "runs/org_home.html",
        {"org": organization, "projects": projects, "can_create": access >= Access.WRITE,
         "is_admin": access >= Access.ADMIN, "error": error,
         "sections": directory.org_sections(user=request.user, org=organization, access=access)},
    )


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


@require_http_methods(["GET", "POST"])
def project_settings_page(request: HttpRequest, org: str, project: str) -> HttpResponse:
    """Admins only: rename, describe, make public or private, delete (after typing its name)."""
    p, access = page_project(request, org, project, Access.ADMIN)
    error = ""
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            if request.POST.get("confirm", "").strip().lower() != p.slug:
                error = f"Type {p.slug} to confirm."
            else:
                services.project_delete(project=p)
                messages.success(request, f"Deleted project {p.organization.slug}/{p.slug}.")
                return redirect("org-home", org=p.organization.slug)
        else:
            try:
                fields = ("name", "description", "visibility")
                services.project_update(project=p, data={f: request.POST.get(f, "") for f in fields})
            except BadInput as e:
                error = str(e.detail)
            else:
                messages.success(request, "Saved.")
                return redirect("project-settings", org=p.organization.slug, project=p.slug)
    context = _page_context(p, access)
    context.update(error=error, visibilities=Visibility.values, page_data=None)
    return render(request, "runs/project_settings.html", context)


def _table_initial(request: HttpRequest, project: Project) -> dict[str, Any]:
    """The runs table's first page, in the HTML: the table shows without a round trip."""
    filter_text, order_text = request.GET.get("filter", ""), request.GET.get("order", "")
    columns = table.view_get(project=project)
    # A savepoint inside a transaction (tests), nothing in autocommit: on
    # PostgreSQL a stopped statement would spoil the rest of the transaction.
    savepoint = transaction.savepoint()
    try:
        page = table.table_page(project=project, filter_text=filter_text, order_text=order_text, columns=columns)
        error = None
    except (BadInput, OperationalError) as e:
        if isinstance(e, OperationalError) and not is_query_timeout(e):
            raise
        if savepoint:
            transaction.savepoint_rollback(savepoint)
        # No rows, with what was wrong with the filter: the unfiltered ones
        # under the error would read as the filter's answer.
        page = {"count": 0, "offset": 0, "limit": table.PAGE_SIZE, "columns": [c.as_dict() for c in columns],
                "results": []}
        error = (
            {"error": str(e.detail), "field": e.field}
            if isinstance(e, BadInput)
            else {"error": query_timeout_message(), "field": "filter"}
        )
    data = {"filter": filter_text, "order": order_text, "page": page, "error": error,
            "layout": [c.id for c in columns]}
    return dict(nonfinite_as_strings(data))


def run_page(request: HttpRequest, org: str, project: str, run_id: str) -> HttpResponse:
    p, access = page_project(request, org, project)
    run = selectors.run_get(project=p, run_id=run_id)
    context = _page_context(p, access)
    context["run"] = run
    context["page_data"]["run"] = run.run_id  # type: ignore[index]
    # What the first reads need comes with the page, so that they are all sent
    # at once: where the console's tail starts, and a shared run's system keys
    # (as the keys API gives them), its system metrics and console being drawn
    # per writer.
    context["page_data"]["consoleLines"] = run.console_offset  # type: ignore[index]
    context["page_data"]["shared"] = run.shared  # type: ignore[index]
    if run.shared:
        keys = workspace.project_keys(project=p, stream=Stream.SYSTEM, run_ids=[run.run_id])
        context["page_data"]["systemKeys"] = [k.as_dict() for k in keys]  # type: ignore[index]
    return render(request, "runs/run.html", context)


def group_page(request: HttpRequest, org: str, project: str, group: str) -> HttpResponse:
    p, access = page_project(request, org, project)
    if unstorable_text_find(group) or len(group) > groups.MAX_LENGTH:
        raise Http404  # names no group
    runs, total = groups.group_runs(project=p, group=group)
    context = _page_context(p, access)
    context.update(
        group=group, runs=runs, run_count=total,
        table_query=urlencode({"filter": f"group = {table.filter_literal(group)}"}),
    )
    context["page_data"].update(  # type: ignore[attr-defined]
        group=group,
        runCount=total,
        # Each run's own line: the first ones, as many as one multi-run history read takes.
        runs=[{"id": r.run_id, "name": r.name} for r in runs[: groups.MAX_RUN_LINES]],
        live=any(r.state == RunState.RUNNING for r in runs),
    )
    return render(request, "runs/group.html", context)


def compare_page(request: HttpRequest, org: str, project: str) -> HttpResponse:
    p, access = page_project(request, org, project)
    run_ids = list(dict.fromkeys(r for r in request.GET.get("runs", "").split(",") if r))[:MAX_COMPARE]
    runs = [selectors.run_get(project=p, run_id=r) for r in run_ids]
    context = _page_context(p, access)
    context["runs"] = runs
    context["sections"] = compare.compare_sections(runs, project=p)
    context["page_data"]["runs"] = [r.run_id for r in runs]  # type: ignore[index]  # compare.js overlays their charts
    context["commits"] = compare.commits(runs)
    context["patch_diffs"] = compare.patch_diffs(runs)
    return render(request, "runs/compare.html", context)
