"""The benchmarks API: thin views over services and selectors (docs/protocol.md, Benchmarks)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.http import Http404, HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.benchmarks import badge, selectors, services
from apps.benchmarks.models import Benchmark, Submission, SubmissionStatus
from apps.benchmarks.permissions import (
    benchmark_resolve,
    submission_require_withdraw,
    submission_visible,
)
from apps.benchmarks.schemas import (
    BENCHMARK_PATH,
    CONFIG_FILTER,
    EXPORT_FORMAT,
    INVITED_ORG,
    ORG_FILTER,
    SUBMISSION_ID,
    BenchmarkCreateSerializer,
    BenchmarkDetailSerializer,
    BenchmarkListSerializer,
    BenchmarkSerializer,
    BenchmarkUpdateSerializer,
    BestOverTimeSerializer,
    InvitesSerializer,
    LeaderboardExportSerializer,
    LeaderboardSerializer,
    ModerateSerializer,
    SharedRunSerializer,
    SubmissionListSerializer,
    SubmissionSerializer,
    SubmitSerializer,
)
from apps.benchmarks.serializers import (
    benchmark_payload,
    entry_payload,
    shared_run_payload,
    submission_payload,
)
from apps.core.access import Access
from apps.core.apis import ScopedApi
from apps.core.csv import csv_cell
from apps.core.errors import BadInput
from apps.core.params import body_object, int_param, keys_param
from apps.core.rendering import json_dumps
from apps.core.schema import enum_query, errors, int_query, text_query
from apps.orgs.models import Membership
from apps.orgs.permissions import org_resolve
from apps.runs import selectors as run_selectors
from apps.runs.permissions import project_resolve
from apps.runs.schemas import OFFSET, HistorySerializer, limit
from apps.runs.selectors import MAX_SAMPLES


class BenchmarkScopedApi(ScopedApi):
    """A benchmark from the URL (`owner`, `slug`), with the caller's access;
    a method not listed needs the owner's admin."""

    unlisted_needs = Access.ADMIN
    benchmark: Benchmark
    benchmark_access: Access

    def resolve_scope(self, request: Request, need: Any, **kwargs: Any) -> None:
        self.benchmark, self.benchmark_access = benchmark_resolve(
            user=request.user, owner=kwargs["owner"], slug=kwargs["slug"], need=need
        )

    def get_submission(self, submission_id: int) -> Submission:
        """A submission the caller may see, else 404."""
        s = selectors.submission_get(benchmark=self.benchmark, submission_id=submission_id)
        if not submission_visible(user=self.request.user, submission=s, benchmark_access=self.benchmark_access):
            raise Http404
        return s


class BenchmarkListApi(APIView):
    @extend_schema(
        operation_id="benchmark_list", summary="Benchmarks", description="The ones the caller may see.",
        responses=BenchmarkListSerializer,
    )
    def get(self, request: Request) -> Response:
        return Response({"results": [benchmark_payload(b, request) for b in selectors.benchmark_list(user=request.user)]})

    @extend_schema(
        operation_id="benchmark_create", summary="Create a benchmark",
        description="Admins of the owning organisation (404 for one the caller cannot see). 409 when the slug is taken.",
        request=BenchmarkCreateSerializer, responses={201: BenchmarkSerializer, **errors(403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        data = body_object(request)
        if not isinstance(data.get("org"), str):
            raise BadInput("Required: the owning organisation's slug.", "org")
        org, _ = org_resolve(user=request.user, org_slug=data["org"], need=Access.ADMIN)
        benchmark = services.benchmark_create(org=org, user=request.user, data=data)
        return Response(benchmark_payload(benchmark, request), status=201)


class BenchmarkDetailApi(BenchmarkScopedApi):
    @extend_schema(
        operation_id="benchmark_get", summary="A benchmark", description="With whether the caller may moderate it.",
        parameters=BENCHMARK_PATH, responses=BenchmarkDetailSerializer,
    )
    def get(self, request: Request, owner: str, slug: str) -> Response:
        return Response({**benchmark_payload(self.benchmark, request), "can_moderate": self.benchmark_access >= Access.ADMIN})

    @extend_schema(
        operation_id="benchmark_update", summary="Change a benchmark",
        description="Admins of the owner. The metric, direction and secondary metrics cannot change once runs are submitted (409).",
        parameters=BENCHMARK_PATH, request=BenchmarkUpdateSerializer, responses={200: BenchmarkSerializer, **errors(409)},
    )
    def patch(self, request: Request, owner: str, slug: str) -> Response:
        benchmark = services.benchmark_update(benchmark=self.benchmark, data=body_object(request))
        return Response(benchmark_payload(benchmark, request))


class BenchmarkInviteApi(BenchmarkScopedApi):
    """`invites/<org>`: invite or uninvite one organisation; `invites/` (below) lists them."""

    needs = {}  # the owner's admins only, reading too
    http_method_names = ["put", "delete", "options"]

    @extend_schema(
        operation_id="benchmark_invite_list", summary="Organisations invited to a benchmark",
        description="Admins of the owner. Only invited organisations may submit to a limited benchmark.",
        parameters=BENCHMARK_PATH, responses=InvitesSerializer,
    )
    def get(self, request: Request, owner: str, slug: str, org: str = "") -> Response:
        slugs = self.benchmark.invites.order_by("organization__slug").values_list("organization__slug", flat=True)
        return Response({"orgs": list(slugs)})

    @extend_schema(
        operation_id="benchmark_invite", summary="Invite an organisation to a benchmark",
        description="Admins of the owner. Its members may then submit to the benchmark when it is limited.",
        parameters=[*BENCHMARK_PATH, INVITED_ORG], request=None, responses={204: None},
    )
    def put(self, request: Request, owner: str, slug: str, org: str = "") -> Response:
        services.invite_set(benchmark=self.benchmark, org_slug=org, invited=True)
        return Response(status=204)

    @extend_schema(
        operation_id="benchmark_uninvite", summary="Withdraw an organisation's invitation",
        description="Admins of the owner. Its members can no longer submit to a limited benchmark.",
        parameters=[*BENCHMARK_PATH, INVITED_ORG], responses={204: None},
    )
    def delete(self, request: Request, owner: str, slug: str, org: str = "") -> Response:
        services.invite_set(benchmark=self.benchmark, org_slug=org, invited=False)
        return Response(status=204)


class BenchmarkInviteListApi(BenchmarkInviteApi):
    http_method_names = ["get", "head", "options"]


def _filters(request: Request) -> selectors.LeaderboardFilter:
    return selectors.leaderboard_filter_parse(
        org=request.query_params.get("org"), config=request.query_params.getlist("config")
    )


_FILTER_PARAMS = [*BENCHMARK_PATH, ORG_FILTER, CONFIG_FILTER]


class LeaderboardApi(BenchmarkScopedApi):
    @extend_schema(
        operation_id="leaderboard", summary="A benchmark's leaderboard",
        description="Accepted entries, best first (by the primary score in its direction; ties to the earlier "
        "submission). `rank` stays the place on the whole leaderboard when filtered.",
        parameters=[*_FILTER_PARAMS, limit(50, selectors.MAX_PAGE), OFFSET], responses=LeaderboardSerializer,
    )
    def get(self, request: Request, owner: str, slug: str) -> Response:
        page = selectors.leaderboard_page(
            benchmark=self.benchmark,
            filters=_filters(request),
            offset=int_param(request, "offset", 0) or 0,
            limit=int_param(request, "limit", 50, 1, selectors.MAX_PAGE) or 50,
        )
        return Response({
            "benchmark": benchmark_payload(self.benchmark, request),
            "count": page.total,
            "offset": page.offset,
            "results": [entry_payload(s, self.benchmark, request) for s in page.entries],
        })


def export_header(benchmark: Benchmark) -> list[str]:
    return [
        "rank", "name", "org", "submitted_by", benchmark.metric_name,
        *[m["name"] for m in benchmark.secondary_metrics],
        *[f"config.{k}" for k in benchmark.config_columns],
        "commit", "submitted_at", "url",
    ]


class LeaderboardExportApi(BenchmarkScopedApi):
    @extend_schema(
        operation_id="leaderboard_export", summary="Every leaderboard entry, as CSV or JSON",
        description="Same filters, streamed. CSV: `rank, name, org, submitted_by, <metric>, <secondary...>, "
        "config.<column...>, commit, submitted_at, url`; text that would start a formula gets a leading `'`.",
        parameters=[*_FILTER_PARAMS, EXPORT_FORMAT],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, "csv"), (200, "application/json"): LeaderboardExportSerializer},
    )
    def get(self, request: Request, owner: str, slug: str, fmt: str) -> StreamingHttpResponse:
        body: Iterator[str] | Iterator[bytes]
        if fmt not in ("csv", "json"):
            raise Http404
        benchmark = self.benchmark
        entries = selectors.leaderboard_all(benchmark=benchmark, filters=_filters(request))
        if fmt == "csv":
            body = self._csv(benchmark, entries, request)
            content_type = "text/csv; charset=utf-8"
        else:
            body = self._json(benchmark, entries, request)
            content_type = "application/json"
        response = StreamingHttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{benchmark.organization.slug}-{benchmark.slug}.{fmt}"'
        return response

    def _csv(self, benchmark: Benchmark, entries: Iterator[Submission], request: Request) -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(export_header(benchmark))
        for s in entries:
            e = entry_payload(s, benchmark, request)
            writer.writerow([csv_cell(v) for v in (
                e["rank"], e["name"], e["org"], e["submitted_by"], e["score"],
                *e["metrics"].values(), *e["config"].values(),
                (e["code"] or {}).get("commit"), e["submitted_at"], e["url"],
            )])
            if buf.tell() > 64 * 1024:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    def _json(self, benchmark: Benchmark, entries: Iterator[Submission], request: Request) -> Iterator[bytes]:
        yield b'{"benchmark":' + json_dumps(benchmark_payload(benchmark, request)) + b',"results":['
        for i, s in enumerate(entries):
            yield (b"," if i else b"") + json_dumps(entry_payload(s, benchmark, request))
        yield b"]}"


class BestOverTimeApi(BenchmarkScopedApi):
    @extend_schema(
        operation_id="leaderboard_best", summary="The best score over time",
        description="Each time the best score improved.", parameters=BENCHMARK_PATH, responses=BestOverTimeSerializer,
    )
    def get(self, request: Request, owner: str, slug: str) -> Response:
        return Response({"points": selectors.best_over_time(benchmark=self.benchmark)})


class BadgeApi(BenchmarkScopedApi):
    @extend_schema(
        operation_id="benchmark_badge", summary="A badge with the best score",
        description="An SVG image, cached 60 s.", parameters=BENCHMARK_PATH,
        responses={(200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR, "The badge.")},
    )
    def get(self, request: Request, owner: str, slug: str) -> HttpResponse:
        best = selectors.leaderboard_best(benchmark=self.benchmark)
        svg = badge.badge_svg(label=self.benchmark.name, value=badge.score_text(best.score if best else None, self.benchmark.precision))
        response = HttpResponse(svg, content_type="image/svg+xml")
        response["Cache-Control"] = "max-age=60"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return response


class SubmissionListApi(BenchmarkScopedApi):
    needs = {**BenchmarkScopedApi.needs, "POST": Access.READ}

    @extend_schema(
        operation_id="submission_list", summary="Submissions to a benchmark",
        description="The owner's admins see every submission; others, their organisations' ones.",
        parameters=[
            *BENCHMARK_PATH, enum_query("status", SubmissionStatus.values, "Only submissions in this status."),
            limit(50, selectors.MAX_PAGE), OFFSET,
        ],
        responses=SubmissionListSerializer,
    )
    def get(self, request: Request, owner: str, slug: str) -> Response:
        """The owner's admins see every submission; others, their organisations' ones."""
        org_ids: list[int] | None = None
        if self.benchmark_access < Access.ADMIN:
            org_ids = list(Membership.objects.filter(user_id=request.user.pk).values_list("organization_id", flat=True)) if request.user.is_authenticated else []
        status = request.query_params.get("status", "")
        if status and status not in SubmissionStatus.values:
            raise BadInput(f"Use one of: {', '.join(SubmissionStatus.values)}.", "status")
        offset = int_param(request, "offset", 0) or 0
        limit = int_param(request, "limit", 50, 1, selectors.MAX_PAGE) or 50
        qs = selectors.submission_list(benchmark=self.benchmark, org_ids=org_ids, status=status)
        page = list(qs[offset : offset + limit])
        return Response({"results": [submission_payload(s, self.benchmark, request) for s in page]})

    @extend_schema(
        operation_id="submission_create", summary="Submit a run to a benchmark",
        description="Needs write access to the run's project and its organisation allowed by the benchmark. The "
        "run's summary, config, commit and last step are copied now and scoring is queued. 409 while the run has "
        "an active submission.",
        parameters=BENCHMARK_PATH, request=SubmitSerializer, responses={201: SubmissionSerializer, **errors(409)},
    )
    def post(self, request: Request, owner: str, slug: str) -> Response:
        """Submit a run: {"run": "org/project/run_id", "name": optional entry name}."""
        data = body_object(request)
        parts = str(data.get("run") or "").strip("/").split("/")
        if len(parts) != 3 or not all(parts):
            raise BadInput('Use "org/project/run_id".', "run")
        project, _ = project_resolve(user=request.user, org_slug=parts[0], project_slug=parts[1], need=Access.WRITE)
        run = run_selectors.run_get(project=project, run_id=parts[2])
        submission = services.submission_create(
            benchmark=self.benchmark, run=run, user=request.user, name=str(data.get("name") or "")
        )
        submission.refresh_from_db()  # scored already when tasks run eagerly
        return Response(submission_payload(submission, self.benchmark, request), status=201)


class SubmissionDetailApi(BenchmarkScopedApi):
    @extend_schema(
        operation_id="submission_get", summary="A submission's shared run view",
        description="Accepted ones to whoever sees the benchmark; others to the owner's admins and the submitting "
        "organisation only.",
        parameters=[*BENCHMARK_PATH, SUBMISSION_ID], responses=SharedRunSerializer,
    )
    def get(self, request: Request, owner: str, slug: str, submission_id: int) -> Response:
        s = self.get_submission(submission_id)
        return Response(shared_run_payload(s, self.benchmark, request))


class SubmissionHistoryApi(BenchmarkScopedApi):
    @extend_schema(
        operation_id="submission_history", summary="A submission's numeric history",
        description="The run's numeric history keys up to the step it had reached when submitted; never system "
        "metrics, media, console or files.",
        parameters=[
            *BENCHMARK_PATH, SUBMISSION_ID, text_query("keys", "Comma-separated keys; default every key."),
            int_query("samples", "Points per series.", default=500, minimum=1, maximum=MAX_SAMPLES),
        ],
        responses=HistorySerializer,
    )
    def get(self, request: Request, owner: str, slug: str, submission_id: int) -> Response:
        s = self.get_submission(submission_id)
        services.submission_series_freeze(submission=s)  # an entry frozen before the copies existed
        series = selectors.submission_history(
            submission=s,
            keys=keys_param(request),
            samples=int_param(request, "samples", 500, 1, MAX_SAMPLES) or 500,
        )
        return Response({"series": {k: v.as_dict() for k, v in series.items()}})


class SubmissionWithdrawApi(BenchmarkScopedApi):
    needs = {**BenchmarkScopedApi.needs, "POST": Access.READ}

    @extend_schema(
        operation_id="submission_withdraw", summary="Withdraw a submission",
        description="Members of the submitting organisation. 409 when its status does not allow it.",
        parameters=[*BENCHMARK_PATH, SUBMISSION_ID], request=None, responses={200: SubmissionSerializer, **errors(409)},
    )
    def post(self, request: Request, owner: str, slug: str, submission_id: int) -> Response:
        s = self.get_submission(submission_id)
        submission_require_withdraw(user=request.user, submission=s)
        s = services.submission_withdraw(submission=s)
        return Response(submission_payload(s, self.benchmark, request))


class SubmissionModerateApi(BenchmarkScopedApi):
    needs = {"POST": Access.ADMIN}

    @extend_schema(
        operation_id="submission_moderate", summary="Approve, reject, hide or unhide a submission",
        description="The owner's admins; hiding needs a reason. 409 when its status does not allow the action.",
        parameters=[*BENCHMARK_PATH, SUBMISSION_ID], request=ModerateSerializer,
        responses={200: SubmissionSerializer, **errors(409)},
    )
    def post(self, request: Request, owner: str, slug: str, submission_id: int) -> Response:
        """{"action": "approve" | "reject" | "hide" | "unhide", "reason": "..."}"""
        data = body_object(request)
        s = self.get_submission(submission_id)
        s = services.submission_moderate(
            submission=s, user=request.user, action=str(data.get("action") or ""), reason=data.get("reason") or ""
        )
        return Response(submission_payload(s, self.benchmark, request))
