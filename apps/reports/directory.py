"""Reports on the organisation page and in the quick search (apps/core/directory.py).

The same rule as ``report_list`` and ``report_access``, for many projects at
once: published public reports to anyone, published organisation reports to
its members, every shared report to those who may write, drafts to their author.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.core.access import Access
from apps.core.directory import Item, Section
from apps.orgs.models import Membership, Role
from apps.reports.models import Report, ReportVisibility
from apps.reports.selectors import report_url

ORG_PAGE_REPORTS = 50


def reports_readable(*, user: Any) -> QuerySet[Report]:
    published = Q(published__isnull=False)
    visible = Q(visibility=ReportVisibility.PUBLIC) & published
    if user.is_authenticated:
        member = Membership.objects.filter(organization=OuterRef("project__organization"), user_id=user.pk)
        writer = member.filter(role__in=[Role.MEMBER, Role.ADMIN])
        visible |= Q(Exists(member)) & Q(visibility=ReportVisibility.ORG) & published
        visible |= Q(Exists(writer)) & Q(visibility__in=[ReportVisibility.ORG, ReportVisibility.PUBLIC])
        visible |= Q(Exists(writer)) & Q(visibility=ReportVisibility.DRAFT, author_id=user.pk)
    return Report.objects.filter(visible).select_related("project__organization", "published")


def _item(report: Report) -> Item:
    title = report.published.title if report.published else report.title
    updated = report.updated_at.strftime("%Y-%m-%d")
    detail = f"{report.project.organization.slug}/{report.project.slug} · {report.visibility} · {updated}"
    return Item(title or "(untitled)", report_url(report), detail)


def org_reports_section(user: Any, org: Any, access: Access) -> Section:
    found = reports_readable(user=user).filter(project__organization=org).order_by("-updated_at")[:ORG_PAGE_REPORTS]
    return Section(
        "reports",
        "Reports",
        [_item(r) for r in found],
        empty="No reports yet. A project's Reports page makes one from its charts.",
    )


def report_search(user: Any, query: str, limit: int) -> list[Item]:
    found = (
        reports_readable(user=user)
        .filter(Q(title__icontains=query) | Q(published__title__icontains=query))
        .order_by("-updated_at")[:limit]
    )
    return [_item(r) for r in found]
