"""Reads: the reports a person may see, a report's content for a reader or an editor, panel data."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from apps.core.access import Access, User
from apps.core.markdown import markdown_render
from apps.orgs.permissions import org_access
from apps.reports.models import (
    PanelSnapshot,
    Report,
    ReportComment,
    ReportVersion,
    ReportVisibility,
)
from apps.reports.panels import panel_bytes
from apps.reports.permissions import ReportAccess
from apps.reports.services import blocks_html
from apps.runs.models import Project


def _iso(dt: Any) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def report_list(*, project: Project, user: User) -> QuerySet[Report]:
    """Published reports the caller may read, and the caller's own drafts."""
    qs = Report.objects.filter(project=project).select_related("author", "published", "project__organization")
    level = org_access(user=user, org=project.organization)
    visible = Q(visibility=ReportVisibility.PUBLIC, published__isnull=False)
    if level >= Access.READ:
        visible |= Q(visibility=ReportVisibility.ORG, published__isnull=False)
    if level >= Access.WRITE:
        visible |= Q(visibility__in=[ReportVisibility.ORG, ReportVisibility.PUBLIC])
        visible |= Q(visibility=ReportVisibility.DRAFT, author_id=user.pk)
    return qs.filter(visible).order_by("-updated_at")


def report_url(report: Report) -> str:
    if report.visibility == ReportVisibility.PUBLIC:
        return f"/r/{report.key}/"
    return f"/{report.project.organization.slug}/{report.project.slug}/reports/{report.key}/"


def report_summary(report: Report) -> dict[str, Any]:
    v = report.published
    return {
        "id": report.key,
        "project": f"{report.project.organization.slug}/{report.project.slug}",
        "title": v.title if v else report.title,
        "description": v.description if v else report.description,
        "visibility": report.visibility,
        "allow_indexing": report.allow_indexing,
        "author": report.author.get_username() if report.author else None,
        "created_at": _iso(report.created_at),
        "updated_at": _iso(report.updated_at),
        "published_version": v.number if v else None,
        "published_at": _iso(v.published_at) if v else None,
        "frozen": v.frozen if v else False,
        "url": report_url(report),
    }


def _blocks_out(blocks: list[dict[str, Any]], html: dict[str, str]) -> list[dict[str, Any]]:
    return [{**b, "html": html.get(b["id"], "")} if b["type"] == "text" else b for b in blocks]


def version_content(version: ReportVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "title": version.title,
        "description": version.description,
        "description_html": markdown_render(text=version.description) if version.description else "",
        "blocks": _blocks_out(version.blocks, version.html),
        "frozen": version.frozen,
        "published_at": _iso(version.published_at),
        "published_by": version.published_by.get_username() if version.published_by else None,
    }


def draft_content(report: Report) -> dict[str, Any]:
    return {
        "title": report.title,
        "description": report.description,
        "description_html": markdown_render(text=report.description) if report.description else "",
        "blocks": _blocks_out(report.blocks, blocks_html(blocks=report.blocks)),
        "frozen": False,
        "updated_at": _iso(report.updated_at),
        "updated_by": report.updated_by.get_username() if report.updated_by else None,
    }


def report_detail(*, report: Report, access: ReportAccess) -> dict[str, Any]:
    """A reader gets the published version; an editor the draft too."""
    out = report_summary(report)
    out["published"] = version_content(report.published) if report.published else None
    out["can_edit"] = access.edit
    if access.edit:
        out["draft"] = draft_content(report)
    return out


def reader_blocks(*, report: Report, draft: bool) -> tuple[list[dict[str, Any]], ReportVersion | None]:
    if draft or report.published is None:
        return report.blocks, None
    return report.published.blocks, report.published


def panels_data(*, report: Report, draft: bool, block_ids: list[str] | None = None) -> dict[str, bytes]:
    """Each panel's data as JSON bytes: a frozen version's stored snapshot, else computed now.

    Only the panels of what the caller reads (the published version, or the
    draft for an editor), so no one reads data through a panel that is not
    there.
    """
    blocks, version = reader_blocks(report=report, draft=draft)
    panels = {b["id"]: b["panel"] for b in blocks if b["type"] == "panel" and "error" not in b}
    wanted = [i for i in (block_ids if block_ids is not None else list(panels)) if i in panels]
    if version is not None and version.frozen:
        stored = dict(
            PanelSnapshot.objects.filter(version=version, block_id__in=wanted).values_list("block_id", "data")
        )
        return {i: bytes(stored[i]) for i in wanted if i in stored}
    return {i: panel_bytes(report=report, panel=panels[i]) for i in wanted}


def panels_json(parts: dict[str, bytes]) -> bytes:
    """{"panels": {block id: data}} from ready JSON bytes, without parsing them again."""
    import orjson

    body = b",".join(orjson.dumps(k) + b":" + v for k, v in parts.items())
    return b'{"panels":{' + body + b"}}"


def version_list(*, report: Report) -> list[dict[str, Any]]:
    versions = report.versions.select_related("published_by").order_by("-number")
    return [
        {"number": v.number, "title": v.title, "frozen": v.frozen, "published_at": _iso(v.published_at),
         "published_by": v.published_by.get_username() if v.published_by else None,
         "current": v.pk == report.published_id}
        for v in versions
    ]


def comment_list(*, report: Report) -> list[dict[str, Any]]:
    comments = ReportComment.objects.filter(report=report).select_related("author").order_by("created_at")
    return [comment_payload(c) for c in comments]


def comment_payload(c: ReportComment) -> dict[str, Any]:
    return {"id": c.pk, "author": c.author.get_username() if c.author else None, "body": c.body,
            "html": markdown_render(text=c.body), "created_at": _iso(c.created_at)}
