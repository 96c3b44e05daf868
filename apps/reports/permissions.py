"""Who may read, edit and comment on a report: the one place every report endpoint and page asks.

- draft: its author only (and only while a member who may write).
- org: members of the organisation (viewers too) read the published version;
  members and admins edit.
- public: anyone reads the published version, signed in or not.

Anyone who may not read gets 404, as for a private project. Reading a public
report grants nothing on its project: its data comes from report-scoped
endpoints that serve only what its panels show.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from apps.core.access import Access, User
from apps.orgs.permissions import org_access
from apps.reports.models import Report, ReportVisibility


@dataclass(frozen=True)
class ReportAccess:
    read: bool  # the published version
    edit: bool  # the draft: change, publish, delete
    member: bool  # of the report's organisation: comments, versions


def report_access(*, user: User, report: Report) -> ReportAccess:
    level = org_access(user=user, org=report.project.organization)
    is_author = user.is_authenticated and report.author_id == user.pk
    if report.visibility == ReportVisibility.DRAFT:
        edit = bool(is_author) and level >= Access.WRITE
        return ReportAccess(read=edit, edit=edit, member=edit)
    edit = level >= Access.WRITE
    member = level >= Access.READ
    published = report.published_id is not None
    if report.visibility == ReportVisibility.PUBLIC:
        return ReportAccess(read=published or edit, edit=edit, member=member)
    return ReportAccess(read=(member and published) or edit, edit=edit, member=member)


def report_resolve(*, user: User, key: str, edit: bool = False, member: bool = False) -> tuple[Report, ReportAccess]:
    report = (
        Report.objects.select_related("project__organization", "published", "author").filter(key=key).first()
    )
    if report is None:
        raise Http404
    access = report_access(user=user, report=report)
    if not access.read:
        raise Http404
    if (edit and not access.edit) or (member and not access.member):
        if not access.member:
            # A reader from outside (a public report's visitor) learns nothing more than 404.
            raise Http404
        if not user.is_authenticated:
            raise NotAuthenticated("Sign in or send an API key to do this.")
        raise PermissionDenied("Your role does not allow this.")
    return report, access
