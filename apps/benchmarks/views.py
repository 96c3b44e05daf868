"""Pages: the benchmarks list, a leaderboard, the shared view of one entry."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from apps.benchmarks import selectors
from apps.benchmarks.cells import cell_text
from apps.benchmarks.models import ACTIVE_STATUSES, Benchmark, SubmissionStatus
from apps.benchmarks.permissions import benchmark_resolve, submission_visible
from apps.benchmarks.serializers import benchmark_path, entry_url
from apps.core.access import Access
from apps.core.errors import BadInput
from apps.core.markdown import markdown_render
from apps.core.pages import page_resolve
from apps.core.params import MAX_INT
from apps.core.rendering import nonfinite_as_strings
from apps.orgs.models import Membership

PAGE_SIZE = 50


def _resolve(request: HttpRequest, owner: str, slug: str) -> tuple[Benchmark, Access]:
    return page_resolve(benchmark_resolve, user=request.user, owner=owner, slug=slug, need=Access.READ)


def benchmark_list_page(request: HttpRequest) -> HttpResponse:
    return render(request, "benchmarks/list.html", {"benchmarks": selectors.benchmark_list(user=request.user)})


def _row(benchmark: Benchmark, s: Any) -> dict[str, Any]:
    """One leaderboard row as the page shows it."""
    return {
        "rank": s.rank,
        "id": s.pk,
        "name": s.name,
        "org": s.organization.slug,
        "by": s.submitted_by.get_username() if s.submitted_by else "",
        "score": cell_text(s.score, benchmark.precision),
        "metrics": [cell_text(s.metrics.get(m["key"]), benchmark.precision) for m in benchmark.secondary_metrics],
        "config": [cell_text((s.config or {}).get(k)) for k in benchmark.config_columns],
        "commit": (s.code or {}).get("commit", "")[:10],
        "submitted_at": s.submitted_at,
        "url": entry_url(benchmark, s.pk),
    }


def _own_entries(request: HttpRequest, benchmark: Benchmark, access: Access) -> tuple[list[Any], list[Any]]:
    """The caller's organisations' entries, and (for the owner's admins) those awaiting moderation."""
    if not request.user.is_authenticated:
        return [], []
    org_ids = list(Membership.objects.filter(user_id=request.user.pk).values_list("organization_id", flat=True))
    mine = list(selectors.submission_list(benchmark=benchmark, org_ids=org_ids)[:20])
    pending: list[Any] = []
    if access >= Access.ADMIN:
        pending = list(selectors.submission_list(benchmark=benchmark, org_ids=None, status=SubmissionStatus.PENDING)[:100])
    return mine, pending


def _page_no(raw: str | None) -> int:
    """`?page=`: 1 unless it is a page number whose rows' offset a database can hold."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return 1
    return min(max(1, int(raw)), MAX_INT // PAGE_SIZE)


def leaderboard_page(request: HttpRequest, owner: str, slug: str) -> HttpResponse:
    benchmark, access = _resolve(request, owner, slug)
    page_no = _page_no(request.GET.get("page"))
    error = ""
    try:
        filters = selectors.leaderboard_filter_parse(org=request.GET.get("org"), config=request.GET.getlist("config"))
    except BadInput as e:
        filters, error = selectors.LeaderboardFilter(), str(e.detail)
    page = selectors.leaderboard_page(
        benchmark=benchmark, filters=filters, offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    rows = [_row(benchmark, s) for s in page.entries]
    query = request.GET.copy()
    query.pop("page", None)
    mine, pending = _own_entries(request, benchmark, access)
    path = benchmark_path(benchmark)
    context = {
        "benchmark": benchmark,
        "description": mark_safe(markdown_render(text=benchmark.description)),  # noqa: S308 (sanitised)
        "rules": mark_safe(markdown_render(text=benchmark.rules)),  # noqa: S308 (sanitised)
        "can_moderate": access >= Access.ADMIN,
        "rows": rows,
        "total": page.total,
        "page_no": page_no,
        "has_prev": page_no > 1,
        "has_next": page.offset + PAGE_SIZE < page.total,
        "query": query.urlencode(),
        "filter_org": filters.org,
        "filter_config": request.GET.getlist("config") if not error else [],
        "filter_error": error,
        "orgs": selectors.leaderboard_orgs(benchmark=benchmark),
        "mine": mine,
        # A refused, rejected or withdrawn entry has nothing left to withdraw.
        "withdrawable": [str(v) for v in ACTIVE_STATUSES],
        "pending": pending,
        "api": f"/api/v1/benchmarks/{path}",
        "page_data": {"api": f"/api/v1/benchmarks/{path}", "canModerate": access >= Access.ADMIN,
                      "signedIn": request.user.is_authenticated, "metric": benchmark.metric_name,
                      "direction": benchmark.direction},
    }
    return render(request, "benchmarks/leaderboard.html", context)


def entry_page(request: HttpRequest, owner: str, slug: str, submission_id: int) -> HttpResponse:
    benchmark, access = _resolve(request, owner, slug)
    submission = selectors.submission_get(benchmark=benchmark, submission_id=submission_id)
    if not submission_visible(user=request.user, submission=submission, benchmark_access=access):
        raise Http404
    path = benchmark_path(benchmark)
    secondary = [(m["name"], cell_text(submission.metrics.get(m["key"]), benchmark.precision)) for m in benchmark.secondary_metrics]
    context = {
        "benchmark": benchmark,
        "entry": submission,
        "score": cell_text(submission.score, benchmark.precision),
        "secondary": secondary,
        "summary": sorted((k, cell_text(v)) for k, v in (nonfinite_as_strings(submission.summary) or {}).items()),
        "config": sorted((k, cell_text(v)) for k, v in (submission.config or {}).items()),
        "page_data": {"api": f"/api/v1/benchmarks/{path}/submissions/{submission.pk}", "entry": submission.pk},
    }
    return render(request, "benchmarks/entry.html", context)
