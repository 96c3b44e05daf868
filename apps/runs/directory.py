"""Projects and runs in the quick search (apps/core/directory.py), as their caller may read them."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.core.directory import Item
from apps.orgs.models import Membership
from apps.runs.models import Project, Run, Visibility


def projects_readable(*, user: Any) -> QuerySet[Project]:
    """Public projects, and every project of the caller's organisations."""
    visible = Q(visibility=Visibility.PUBLIC)
    if user.is_authenticated:
        visible |= Q(Exists(Membership.objects.filter(organization=OuterRef("organization"), user_id=user.pk)))
    return Project.objects.filter(visible)


def project_search(user: Any, query: str, limit: int) -> list[Item]:
    found = (
        projects_readable(user=user)
        .filter(Q(slug__icontains=query) | Q(name__icontains=query))
        .select_related("organization")
        .order_by("-last_activity_at", "slug")[:limit]
    )
    return [
        Item(p.name or p.slug, f"/{p.organization.slug}/{p.slug}/", f"{p.organization.slug}/{p.slug}") for p in found
    ]


def run_search(user: Any, query: str, limit: int) -> list[Item]:
    projects = projects_readable(user=user).values("pk")
    found = (
        Run.objects.filter(project__in=projects)
        .filter(Q(name__icontains=query) | Q(run_id__istartswith=query))
        .select_related("project__organization")
        .order_by("-created_at")[:limit]
    )
    out = []
    for r in found:
        where = f"{r.project.organization.slug}/{r.project.slug}"
        out.append(Item(r.name or r.run_id, f"/{where}/runs/{r.run_id}", f"{where} · {r.run_id} · {r.state}"))
    return out
