"""The runs API: thin views over services and selectors (docs/protocol.md)."""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.files.storage import default_storage
from django.db import DataError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.access import Access
from apps.core.errors import BadInput
from apps.core.params import body_object, int_param, keys_param
from apps.core.rendering import gc_paused
from apps.core.validation import file_path_check
from apps.orgs.api import OrgScopedApi
from apps.runs import selectors, services
from apps.runs.api.base import ProjectScopedApi, run_id_check, stream_param
from apps.runs.query import FilterError
from apps.runs.serializers import file_payload, project_payload, run_payload


class ProjectDetailApi(ProjectScopedApi):
    needs = {**ProjectScopedApi.needs, "PATCH": Access.ADMIN, "DELETE": Access.ADMIN}

    def get(self, request: Request, org: str, project: str) -> Response:
        return Response(project_payload(self.project, self.project.runs.count()))

    def patch(self, request: Request, org: str, project: str) -> Response:
        updated = services.project_update(project=self.project, data=body_object(request))
        return Response(project_payload(updated))

    def delete(self, request: Request, org: str, project: str) -> Response:
        for run in self.project.runs.all():
            services.run_delete(run=run)
        self.project.delete()
        return Response(status=204)


class ProjectListApi(OrgScopedApi):
    # Anyone may ask: an outsider sees the public projects, or 404 when there are none.
    needs = {**OrgScopedApi.needs, "GET": Access.NONE}

    def get(self, request: Request, org: str) -> Response:
        access = self.org_access
        projects = selectors.project_list(org_id=self.org.pk, user=request.user, is_member=access >= Access.READ)
        if access == Access.NONE and not projects.exists():
            raise Http404
        counted = projects.annotate(run_count=Count("runs"))
        return Response({"results": [project_payload(p, p.run_count) for p in counted]})

    def post(self, request: Request, org: str) -> Response:
        organization = self.org
        data = body_object(request)
        slug = data.get("slug")
        if not isinstance(slug, str):
            raise BadInput("Required: the project's slug.", "slug")
        project = services.project_create(
            org=organization, slug=slug, name=str(data.get("name") or ""),
            visibility=str(data.get("visibility") or "private"),
        )
        return Response(project_payload(project, 0), status=201)


class RunListApi(ProjectScopedApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("filter", str, description="Filter language, see docs/protocol.md"),
            OpenApiParameter("order", str, description="e.g. -summary.acc,created_at"),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ]
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        limit = int_param(request, "limit", 50, 1, selectors.MAX_PAGE) or 50
        offset = int_param(request, "offset", 0) or 0
        try:
            runs = selectors.run_list(project=self.project, filter_text=request.query_params.get("filter", ""))
        except FilterError as e:
            raise BadInput(str(e), "filter") from None
        try:
            runs = selectors.run_order(runs, request.query_params.get("order", ""))
        except FilterError as e:
            raise BadInput(str(e), "order") from None
        try:
            page, count = selectors.run_page(runs, offset=offset, limit=limit)
        except DataError as e:  # a regex PostgreSQL rejects though Python accepted it
            raise BadInput(str(e).splitlines()[0], "filter") from None
        for run in page:
            run.project = self.project
        next_url = None
        if offset + limit < count:
            q = request.query_params.copy()
            q["offset"] = str(offset + limit)
            q["limit"] = str(limit)
            next_url = request.build_absolute_uri(request.path + "?" + q.urlencode())
        return Response({"count": count, "next": next_url, "results": [run_payload(r, request) for r in page]})


class RunDetailApi(ProjectScopedApi):
    needs = {**ProjectScopedApi.needs, "PUT": Access.WRITE, "PATCH": Access.WRITE, "DELETE": Access.WRITE}

    def creates_project(self, request: Request) -> bool:
        return request.method == "PUT"

    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id)
        return Response({**run_payload(run, request), "storage": selectors.run_storage(run=run)})

    def put(self, request: Request, org: str, project: str, run_id: str) -> Response:
        data = body_object(request)
        result = services.run_upsert(
            project=self.project,
            run_id=run_id_check(run_id),
            user=request.user if request.user.is_authenticated else None,
            data=data,
            resume=str(data.get("resume") or "allow"),
        )
        return Response(run_payload(result.run, request), status=201 if result.created else 200)

    def patch(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = services.run_update(run=self.get_run(run_id), data=body_object(request))
        run.project = self.project
        return Response(run_payload(run, request))

    def delete(self, request: Request, org: str, project: str, run_id: str) -> Response:
        services.run_delete(run=self.get_run(run_id))
        return Response(status=204)


class RunHeartbeatApi(ProjectScopedApi):
    def post(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = services.run_heartbeat(run=self.get_run(run_id))
        return Response({"state": run.state})


class RunFinishApi(ProjectScopedApi):
    def post(self, request: Request, org: str, project: str, run_id: str) -> Response:
        data = body_object(request)
        exit_code = data.get("exit_code", 0)
        if exit_code is not None and (not isinstance(exit_code, int) or isinstance(exit_code, bool)):
            raise BadInput("Must be an integer.", "exit_code")
        state = data.get("state")
        if state is not None and not isinstance(state, str):
            raise BadInput("Must be a string.", "state")
        run = services.run_finish(run=self.get_run(run_id), exit_code=exit_code, state=state)
        run.project = self.project
        return Response(run_payload(run, request))


class StreamAppendApi(ProjectScopedApi):
    def post(self, request: Request, org: str, project: str, run_id: str, stream: str) -> Response:
        # A batch is ~100,000 small objects and no cycles: see gc_paused.
        with gc_paused():
            data = body_object(request)
            result = services.stream_append(
                run=self.get_run(run_id), stream=stream_param(stream), offset=data.get("offset"), records=data.get("records")
            )
        return Response({"next_offset": result.next_offset, "stored": result.stored})


class HistorySampledApi(ProjectScopedApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("keys", str, description="Comma-separated keys; default all"),
            OpenApiParameter("stream", str, description="history (default) or system"),
            OpenApiParameter("samples", int),
            OpenApiParameter("min_step", int),
            OpenApiParameter("max_step", int),
        ]
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id)
        series = selectors.history_sampled(
            run=run,
            stream=stream_param(request.query_params.get("stream", "history"), allow_console=False),
            keys=keys_param(request),
            samples=int_param(request, "samples", 1000, 1, selectors.MAX_SAMPLES) or 1000,
            min_step=int_param(request, "min_step", None),
            max_step=int_param(request, "max_step", None),
        )
        return Response({"series": {k: s.as_dict() for k, s in series.items()}})


class HistoryExportApi(ProjectScopedApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("keys", str),
            OpenApiParameter("stream", str),
            OpenApiParameter("format", str, description="jsonl (default) or csv"),
        ]
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> StreamingHttpResponse:
        run = self.get_run(run_id)
        fmt = request.query_params.get("format", "jsonl")
        if fmt not in ("jsonl", "csv"):
            raise BadInput("Use jsonl or csv.", "format")
        stream = stream_param(request.query_params.get("stream", "history"), allow_console=False)
        body = selectors.history_export(run=run, stream=stream, keys=keys_param(request), fmt=fmt)
        content_type = "text/csv" if fmt == "csv" else "application/x-ndjson"
        response = StreamingHttpResponse(body, content_type=content_type)
        # Quoted and encoded by Django: an old run id may hold a newline, a header may not.
        response["Content-Disposition"] = content_disposition_header(True, f"{run.run_id}-{stream.label}.{fmt}") or ""
        return response


class ConsoleApi(ProjectScopedApi):
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id)
        lines, next_offset = selectors.console_lines(
            run=run,
            offset=int_param(request, "offset", 0) or 0,
            limit=int_param(request, "limit", 1000, 1, 10_000) or 1000,
        )
        return Response({"lines": lines, "next_offset": next_offset})


class FileListApi(ProjectScopedApi):
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id)
        return Response({"results": [file_payload(f) for f in selectors.file_list(run=run)]})


class FileDetailApi(ProjectScopedApi):
    def get(self, request: Request, org: str, project: str, run_id: str, path: str) -> Any:
        rf = selectors.file_get(run=self.get_run(run_id), path=file_path_check(path))
        url = default_storage.url(rf.storage_name)
        if url.startswith("http"):  # object storage: a signed, expiring URL
            return HttpResponseRedirect(url)
        response = FileResponse(default_storage.open(rf.storage_name, "rb"), content_type=rf.content_type)
        response["Content-Disposition"] = content_disposition_header(True, rf.path.rsplit("/", 1)[-1]) or ""
        response["X-Content-Type-Options"] = "nosniff"
        # Uploads are the users' bytes (HTML panels, SVG posing as an image):
        # opened directly, they run nothing and reach nothing.
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"
        return response

    def put(self, request: Request, org: str, project: str, run_id: str, path: str) -> Response:
        run = self.get_run(run_id)
        length = request.META.get("CONTENT_LENGTH")
        rf = services.file_store(
            run=run,
            path=file_path_check(path),
            body=cast(IO[bytes], request._request),  # the raw stream: never parsed, never in memory
            declared_sha256=request.META.get("HTTP_X_CAIRN_SHA256", ""),
            declared_size=int(length) if length and length.isdigit() else None,
        )
        return Response(file_payload(rf), status=201)
