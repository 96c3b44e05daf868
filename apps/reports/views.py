"""Report pages: the list of a project's reports, a report for readers, its editor."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.access import Access
from apps.core.markdown import code_css
from apps.core.pages import page_resolve
from apps.reports import selectors
from apps.reports.export import figures
from apps.reports.models import Report
from apps.reports.permissions import ReportAccess, report_resolve
from apps.reports.svg import MediaUrl
from apps.runs.permissions import page_project, project_access


def _page_report(request: HttpRequest, key: str, *, edit: bool = False) -> tuple[Report, ReportAccess]:
    return page_resolve(report_resolve, user=request.user, key=key, edit=edit)


def _same_project(report: Report, org: str, project: str) -> None:
    # A report is reached under its own project only: no guessing other paths to it.
    if report.project.organization.slug != org.lower() or report.project.slug != project.lower():
        raise Http404


def report_list_page(request: HttpRequest, org: str, project: str) -> HttpResponse:
    p, access = page_project(request, org, project)
    reports = [selectors.report_summary(r) for r in selectors.report_list(project=p, user=request.user)]
    return render(request, "reports/list.html", {
        "project": p, "org": p.organization, "reports": reports, "can_write": access >= Access.WRITE,
        "page_data": {"api": f"/api/v1/projects/{p.organization.slug}/{p.slug}/reports",
                      "base": f"/{p.organization.slug}/{p.slug}/reports/"},
    })


def _reader_blocks(content: dict[str, Any], drawn: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The blocks as the reader page shows them, and the line panels its script draws."""
    blocks: list[dict[str, Any]] = []
    line_panels = []
    for b in content["blocks"]:
        if b["type"] == "text":
            blocks.append({"type": "text", "html": b["html"]})
            continue
        panel = b["panel"]
        if "error" in b:  # a draft's panel still being set up
            blocks.append({"type": "panel", "id": b["id"], "kind": "incomplete", "title": panel.get("title", ""),
                           "error": b["error"]["message"]})
            continue
        blocks.append({"type": "panel", "id": b["id"], "kind": panel["kind"], "title": panel["title"],
                       "figure": drawn.get(b["id"])})
        if panel["kind"] == "line":
            line_panels.append({"id": b["id"], "keys": panel["keys"], "smoothing": panel["smoothing"],
                                "log": panel["log"], "title": panel["title"], "x": panel.get("x", "step"),
                                "ignore_outliers": bool(panel.get("ignore_outliers"))})
    return blocks, line_panels


def _read(request: HttpRequest, report: Report, access: ReportAccess) -> HttpResponse:
    draft = request.GET.get("draft") in ("1", "true") and access.edit
    if draft or report.published is None:
        content = selectors.draft_content(report)
        draft = True
    else:
        content = selectors.version_content(report.published)
    # Charts other than line charts are small and drawn here; line charts come from the data endpoint.
    # A media panel's pictures come through the report's own endpoints.
    def media_url(block_id: str) -> MediaUrl:
        base = f"/api/v1/reports/{report.key}/panels/{quote(block_id, safe='')}/media/"
        return lambda item, what: f"{base}{int(item['id'])}/{what}{'?draft=1' if draft else ''}"

    drawn = figures(report=report, draft=draft, kinds={"bar", "scatter", "parallel", "table", "media", "importance"},
                    media_url=media_url)
    blocks, line_panels = _reader_blocks(content, drawn)
    groups = _request_groups(len(line_panels))
    suffix = "&draft=1" if draft else ""
    data_urls = [f"/api/v1/reports/{report.key}/data?blocks=" + ",".join(quote(line_panels[i]["id"], safe="") for i in g) + suffix
                 for g in groups]
    can_see_project = project_access(user=request.user, project=report.project) >= Access.READ
    response = render(request, "reports/read.html", {
        "report": report,
        "content": content,
        "blocks": blocks,
        "draft": draft,
        "access": access,
        "can_see_project": can_see_project,
        "org": report.project.organization if can_see_project else None,
        "project": report.project if can_see_project else None,
        "data_urls": data_urls,
        "code_css": code_css(),
        "has_math": any('class="math' in b.get("html", "") for b in blocks) or 'class="math' in content["description_html"],
        "page_data": {
            "key": report.key,
            "api": f"/api/v1/reports/{report.key}",
            "draft": draft,
            "panels": line_panels,
            "groups": groups,
            "dataUrls": data_urls,
            "member": access.member,
            "canEdit": access.edit,
        },
    })
    if not report.allow_indexing or draft:
        response["X-Robots-Tag"] = "noindex"
    return response


def _request_groups(n: int) -> list[list[int]]:
    """Panel indexes a data request: the first screen's three charts alone, so they come soonest,
    then more together; six requests at most, a browser's connections to one host."""
    groups: list[list[int]] = []
    start = 0
    for size in (1, 1, 1, 2, 3):
        if start < n:
            groups.append(list(range(start, min(n, start + size))))
            start += size
    if start < n:
        groups.append(list(range(start, n)))
    return groups


def report_page(request: HttpRequest, org: str, project: str, key: str) -> HttpResponse:
    report, access = _page_report(request, key)
    _same_project(report, org, project)
    return _read(request, report, access)


def report_public_page(request: HttpRequest, key: str) -> HttpResponse:
    report, access = _page_report(request, key)
    return _read(request, report, access)


def report_edit_page(request: HttpRequest, org: str, project: str, key: str) -> HttpResponse:
    report, access = _page_report(request, key, edit=True)
    _same_project(report, org, project)
    p = report.project
    projects = list(p.organization.projects.order_by("slug").values_list("slug", flat=True))
    return render(request, "reports/edit.html", {
        "report": report, "project": p, "org": p.organization,
        "page_data": {
            "key": report.key,
            "api": f"/api/v1/reports/{report.key}",
            "project": p.slug,
            "projects": projects,
            "projectApi": f"/api/v1/projects/{p.organization.slug}/",
            "readUrl": f"/{p.organization.slug}/{p.slug}/reports/{report.key}/",
            "isAuthor": report.author_id == request.user.pk,
        },
    })
