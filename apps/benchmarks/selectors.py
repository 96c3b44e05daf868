"""Reads: benchmarks a user may see, the ranked leaderboard, one entry and its charts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from apps.benchmarks.models import (
    Benchmark,
    BenchmarkInvite,
    BenchmarkVisibility,
    Submission,
    SubmissionSeries,
    SubmissionStatus,
)
from apps.core.access import User
from apps.core.errors import BadInput
from apps.core.rendering import unstorable_text_check
from apps.orgs.models import Membership, Organization
from apps.runs.history import SeriesSummary
from apps.runs.query import json_value_in
from apps.runs.selectors import SampledSeries

MAX_PAGE = 500
LEADERBOARD_ORDER = ("rank_key", "submitted_at", "id")


def benchmark_list(*, user: User) -> QuerySet[Benchmark]:
    """Public benchmarks, and the limited ones of the user's and their invited organisations."""
    qs = Benchmark.objects.select_related("organization").order_by("organization__slug", "slug")
    visible = Q(visibility=BenchmarkVisibility.PUBLIC)
    if user.is_authenticated:
        member = Membership.objects.filter(organization=OuterRef("organization"), user_id=user.pk)
        invited = BenchmarkInvite.objects.filter(benchmark=OuterRef("pk"), organization__memberships__user_id=user.pk)
        visible |= Exists(member) | Exists(invited)
    return qs.filter(visible)


@dataclass(frozen=True)
class LeaderboardFilter:
    org: str = ""
    # (config key, value): the value as JSON when it parses, else as text.
    config: tuple[tuple[str, Any], ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.org or self.config)


def leaderboard_filter_parse(*, org: str | None, config: list[str]) -> LeaderboardFilter:
    unstorable_text_check({"org": org or "", "config": config})
    pairs = []
    for i, raw in enumerate(config):
        key, sep, text = raw.partition("=")
        key = key.strip()
        if not sep or not key:
            raise BadInput("Use key=value, e.g. optimizer=adam or lr=0.001.", "config")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        if isinstance(value, (dict, list)):
            value = text
        unstorable_text_check(value, f"config[{i}]")  # "\ud800" in quotes is JSON for a lone surrogate
        pairs.append((key, value))
    return LeaderboardFilter(org=(org or "").strip().lower(), config=tuple(pairs))


def leaderboard_entries(*, benchmark: Benchmark, filters: LeaderboardFilter = LeaderboardFilter()) -> QuerySet[Submission]:
    """The accepted entries, best first (ties: earlier submission first)."""
    qs = Submission.objects.filter(benchmark_id=benchmark.pk, status=SubmissionStatus.ACCEPTED)
    if filters.org:
        qs = qs.filter(organization__slug=filters.org)
    for key, value in filters.config:
        qs = qs.filter(json_value_in("config", [key], [value]))
    return qs.order_by(*LEADERBOARD_ORDER)


def _ranks(benchmark: Benchmark, ids: list[int]) -> dict[int, int]:
    """Each entry's place on the whole leaderboard.

    One ROW_NUMBER() over the narrow, index-ordered rows of the board, then
    the page's ids picked from it: a count of the entries ranked before each
    row would rescan the board once per row.
    """
    ranked = (
        Submission.objects.filter(benchmark_id=benchmark.pk, status=SubmissionStatus.ACCEPTED)
        .annotate(place=Window(RowNumber(), order_by=[F(f).asc() for f in LEADERBOARD_ORDER]))
        .order_by()
        .values_list("id", "place")
    )
    sql, params = ranked.query.sql_with_params()
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, place FROM ({sql}) ranked WHERE id IN ({marks})", [*params, *ids])
        return {int(pk): int(place) for pk, place in cursor.fetchall()}


@dataclass
class LeaderboardPage:
    entries: list[Submission]  # each with .rank
    total: int
    offset: int
    limit: int


def leaderboard_page(
    *, benchmark: Benchmark, filters: LeaderboardFilter, offset: int = 0, limit: int = 50
) -> LeaderboardPage:
    """One page of the ranked leaderboard: only its rows are read.

    Unfiltered, a row's rank is its position; filtered, its place on the
    whole leaderboard is counted for the page's rows only.
    """
    qs = leaderboard_entries(benchmark=benchmark, filters=filters)
    # Sorted as narrow rows (the index holds them all), then only the page's rows read whole.
    ids = list(qs.values_list("pk", flat=True)[offset : offset + limit])
    rows = Submission.objects.select_related("organization", "submitted_by").defer("summary").in_bulk(ids)
    page = [rows[pk] for pk in ids if pk in rows]
    total = qs.count() if page or offset else 0
    if filters.active and page:
        ranks = _ranks(benchmark, ids)
        for s in page:
            s.rank = ranks[s.pk]  # type: ignore[attr-defined]
    else:
        for i, s in enumerate(page):
            s.rank = offset + i + 1  # type: ignore[attr-defined]
    return LeaderboardPage(page, total, offset, limit)


def leaderboard_all(*, benchmark: Benchmark, filters: LeaderboardFilter) -> Iterator[Submission]:
    """Every entry, ranked, for the exports (streamed)."""
    qs = leaderboard_entries(benchmark=benchmark, filters=filters).select_related("organization", "submitted_by")
    for i, s in enumerate(qs.defer("summary").iterator(chunk_size=1000)):
        s.rank = i + 1 if not filters.active else None  # type: ignore[attr-defined]
        yield s


def leaderboard_best(*, benchmark: Benchmark) -> Submission | None:
    return leaderboard_entries(benchmark=benchmark).select_related("organization").first()


def leaderboard_orgs(*, benchmark: Benchmark) -> list[str]:
    """The organisations with entries on the leaderboard, for the filter."""
    ids = (
        Submission.objects.filter(benchmark_id=benchmark.pk, status=SubmissionStatus.ACCEPTED)
        .order_by()
        .values("organization_id")
        .distinct()
    )
    return list(Organization.objects.filter(pk__in=ids).order_by("slug").values_list("slug", flat=True))


def best_over_time(*, benchmark: Benchmark) -> list[dict[str, Any]]:
    """Each time the best score improved: the leaderboard's history as a step line."""
    rows = (
        Submission.objects.filter(benchmark_id=benchmark.pk, status=SubmissionStatus.ACCEPTED)
        .order_by("submitted_at", "id")
        .values_list("submitted_at", "rank_key", "score", "pk", "name", "organization__slug")
    )
    out: list[dict[str, Any]] = []
    best: float | None = None
    for when, key, score, pk, name, org in rows.iterator(chunk_size=2000):
        if key is None or when is None:
            continue
        if best is None or key < best:
            best = key
            out.append({"time": when.timestamp(), "score": score, "id": pk, "name": name, "org": org})
    return out


def submission_get(*, benchmark: Benchmark, submission_id: int) -> Submission:
    s = (
        Submission.objects.select_related("organization", "submitted_by", "benchmark__organization")
        .filter(benchmark=benchmark, pk=submission_id)
        .first()
    )
    if s is None:
        raise Http404
    return s


def submission_list(*, benchmark: Benchmark, org_ids: list[int] | None, status: str = "") -> QuerySet[Submission]:
    """Submissions of every status: all of them (org_ids None, for the owner's admins) or the given organisations'."""
    qs = Submission.objects.filter(benchmark=benchmark).select_related("organization", "submitted_by")
    if org_ids is not None:
        qs = qs.filter(organization_id__in=org_ids)
    if status:
        qs = qs.filter(status=status)
    return qs.defer("summary").order_by("-created_at", "-id")


def submission_history(*, submission: Submission, keys: list[str] | None, samples: int) -> dict[str, SampledSeries]:
    """The shared charts: the run's numeric history keys as they were when it
    was submitted (copied then, see SubmissionSeries), never what it logged after."""
    rows = SubmissionSeries.objects.filter(submission=submission)
    if keys is not None:
        rows = rows.filter(key__in=keys)
    out: dict[str, SampledSeries] = {}
    for key, count, blob in rows.order_by("key").values_list("key", "count", "summary"):
        s = SeriesSummary.from_bytes(bytes(blob)).sample(samples)
        out[key] = SampledSeries(count, s.sampled, s.steps, s.values, s.min, s.max)
    return out
