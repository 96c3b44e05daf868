"""The runs API: thin views over services and selectors (docs/protocol.md)."""

from __future__ import annotations

from typing import IO, Any, cast

from django.db.models import Count
from django.http import Http404, StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.access import Access
from apps.core.errors import BadInput
from apps.core.inflate import body_inflated
from apps.core.params import body_object, int_param, keys_param
from apps.core.rendering import gc_paused
from apps.core.schema import StreamGapSerializer, error, errors
from apps.core.storage import stored_file_response
from apps.core.validation import file_path_check
from apps.orgs.api import OrgScopedApi
from apps.orgs.schemas import ORG_PATH
from apps.runs import selectors, services
from apps.runs.api.base import ProjectScopedApi, run_id_check, stream_param, writer_param
from apps.runs.query import FilterError
from apps.runs.schemas import (
    BINARY,
    EXPORT_FORMAT,
    EXPORT_MAX_STEP,
    EXPORT_MIN_STEP,
    FILE_PATH,
    FILTER,
    KEYS,
    MAX_STEP,
    MIN_STEP,
    NUMERIC_STREAM,
    OFFSET,
    ORDER,
    PROJECT_PATH,
    REDIRECT,
    RUN_PATH,
    SAMPLES,
    SHA256_HEADER,
    TEXT,
    WRITER,
    WRITER_OFFSET,
    AppendedSerializer,
    ConsoleBatchSerializer,
    ConsoleSerializer,
    HistoryBatchSerializer,
    HistorySerializer,
    ProjectCreateSerializer,
    ProjectListSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
    RunDetailSerializer,
    RunFileListSerializer,
    RunFileSerializer,
    RunFinishSerializer,
    RunPageSerializer,
    RunSerializer,
    RunStateSerializer,
    RunUpdateSerializer,
    RunUpsertedSerializer,
    RunUpsertSerializer,
    SystemBatchSerializer,
    WriterListSerializer,
    WriterOnlySerializer,
    limit,
)
from apps.runs.serializers import file_payload, project_payload, run_payload, writer_payload


class ProjectDetailApi(ProjectScopedApi):
    needs = {**ProjectScopedApi.needs, "PATCH": Access.ADMIN, "DELETE": Access.ADMIN}

    @extend_schema(
        operation_id="project_get", summary="A project", description="Its settings and how many runs it has.",
        parameters=PROJECT_PATH, responses=ProjectSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        return Response(project_payload(self.project, self.project.runs.count()))

    @extend_schema(
        operation_id="project_update", summary="Change a project's settings", description="Admins only.",
        parameters=PROJECT_PATH, request=ProjectUpdateSerializer, responses=ProjectSerializer,
    )
    def patch(self, request: Request, org: str, project: str) -> Response:
        updated = services.project_update(project=self.project, data=body_object(request))
        return Response(project_payload(updated))

    @extend_schema(
        operation_id="project_delete", summary="Delete a project",
        description="With all its runs, their streams and (through a background task) their files. Admins only.",
        parameters=PROJECT_PATH, responses={204: None},
    )
    def delete(self, request: Request, org: str, project: str) -> Response:
        services.project_delete(project=self.project)
        return Response(status=204)


class ProjectListApi(OrgScopedApi):
    # Anyone may ask: an outsider sees the public projects, or 404 when there are none.
    needs = {**OrgScopedApi.needs, "GET": Access.NONE}

    @extend_schema(
        operation_id="project_list", summary="Projects of an organisation",
        description="Members see every project; anyone else the public ones (404 when there are none).",
        parameters=[ORG_PATH], responses=ProjectListSerializer,
    )
    def get(self, request: Request, org: str) -> Response:
        access = self.org_access
        projects = selectors.project_list(org_id=self.org.pk, user=request.user, is_member=access >= Access.READ)
        if access == Access.NONE and not projects.exists():
            raise Http404
        counted = projects.annotate(run_count=Count("runs"))
        return Response({"results": [project_payload(p, p.run_count) for p in counted]})

    @extend_schema(
        operation_id="project_create", summary="Create a project",
        description="Members and admins. 409 when the slug is taken. (Logging a run's first `PUT` also creates its project.)",
        parameters=[ORG_PATH], request=ProjectCreateSerializer, responses={201: ProjectSerializer, **errors(409)},
    )
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
        operation_id="run_list", summary="Runs of a project",
        description="A page of the runs `filter` selects, in `order` (default newest first).",
        parameters=[*PROJECT_PATH, FILTER, ORDER, limit(50, selectors.MAX_PAGE), OFFSET], responses=RunPageSerializer,
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
        page, count = selectors.run_page(runs, offset=offset, limit=limit)
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

    @extend_schema(
        operation_id="run_get", summary="A run", description="The run object, and what its streams take in the database.",
        parameters=RUN_PATH, responses=RunDetailSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id)
        return Response({**run_payload(run, request), "storage": selectors.run_storage(run=run)})

    @extend_schema(
        operation_id="run_upsert", summary="Create or resume a run",
        description="Idempotent by the run id the client chose. Creating answers 201, resuming 200 (the run is "
        "`running` again; fields given replace the stored ones). The project is created when it does not exist. "
        "409 with `resume: never` on an existing run; 404 with `resume: must` on a missing one.",
        parameters=RUN_PATH, request=RunUpsertSerializer,
        responses={
            200: OpenApiResponse(RunUpsertedSerializer, "Resumed."),
            201: OpenApiResponse(RunUpsertedSerializer, "Created."),
            **errors(409),
        },
    )
    def put(self, request: Request, org: str, project: str, run_id: str) -> Response:
        data = body_object(request)
        result = services.run_upsert(
            project=self.project,
            run_id=run_id_check(run_id),
            user=request.user if request.user.is_authenticated else None,
            data=data,
            resume=data["resume"] if data.get("resume") is not None else "allow",
        )
        body = run_payload(result.run, request)
        if result.writer is not None:
            body["writer"] = writer_payload(result.writer)
            body["other_writers"] = [writer_payload(w) for w in selectors.writers_live(run=result.run, exclude=result.writer)]
        return Response(body, status=201 if result.created else 200)

    @extend_schema(
        operation_id="run_update", summary="Change a run",
        description="Text fields and `tags` replace; `config`, `summary` and `system` are merged (a key set to null is removed).",
        parameters=RUN_PATH, request=RunUpdateSerializer, responses=RunSerializer,
    )
    def patch(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = services.run_update(run=self.get_run(run_id), data=body_object(request))
        run.project = self.project
        return Response(run_payload(run, request))

    @extend_schema(
        operation_id="run_delete", summary="Delete a run",
        description="With its streams and (through a background task) its files.",
        parameters=RUN_PATH, responses={204: None},
    )
    def delete(self, request: Request, org: str, project: str, run_id: str) -> Response:
        services.run_delete(run=self.get_run(run_id))
        return Response(status=204)


class RunHeartbeatApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_heartbeat", summary="Say a run is alive",
        description="A running run silent for CAIRN_HEARTBEAT_TIMEOUT seconds is marked crashed; a heartbeat sets a crashed run running again.",
        parameters=RUN_PATH, request=WriterOnlySerializer, responses=RunStateSerializer,
    )
    def post(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = services.run_heartbeat(run=self.get_run(run_id), writer_id=body_object(request).get("writer"))
        return Response({"state": run.state})


class RunWritersApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_writers", summary="The processes that wrote to a run",
        description="Each writer with its label, host, state and offsets (docs/protocol.md, Writers); a run logged by a "
        "client that sends no writer has none.",
        parameters=RUN_PATH, responses=WriterListSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        writers = selectors.writers_of(run=self.get_run(run_id))
        return Response({"results": [writer_payload(w) for w in writers]})


class RunFinishApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_finish", summary="Finish a run", description="Idempotent. Queues the compaction of its history.",
        parameters=RUN_PATH, request=RunFinishSerializer, responses=RunSerializer,
    )
    def post(self, request: Request, org: str, project: str, run_id: str) -> Response:
        data = body_object(request)
        exit_code = data.get("exit_code", 0)
        if exit_code is not None and (
            not isinstance(exit_code, int) or isinstance(exit_code, bool) or not -(2**31) <= exit_code < 2**31
        ):
            raise BadInput("Must be an integer of 32 bits.", "exit_code")
        state = data.get("state")
        if state is not None and not isinstance(state, str):
            raise BadInput("Must be a string.", "state")
        run = services.run_finish(run=self.get_run(run_id), exit_code=exit_code, state=state, writer_id=data.get("writer"))
        run.project = self.project
        return Response(run_payload(run, request))


class StreamAppendApi(ProjectScopedApi):
    """A stream by its name in the URL; each stream has its own operation in the schema (below)."""

    @extend_schema(exclude=True)
    def post(self, request: Request, org: str, project: str, run_id: str, stream: str) -> Response:
        # A batch is ~100,000 small objects and no cycles: see gc_paused.
        with gc_paused():
            data = body_object(request)
            result = services.stream_append(
                run=self.get_run(run_id),
                stream=stream_param(stream),
                offset=data.get("offset"),
                records=data.get("records"),
                writer_id=data.get("writer"),
            )
        return Response({"next_offset": result.next_offset, "stored": result.stored})


def _append_api(stream: str, batch: type, what: str) -> type[StreamAppendApi]:
    @extend_schema_view(post=extend_schema(
        exclude=False, operation_id=f"{stream}_append", summary=f"Append to a run's {stream} stream",
        description=f"{what} Stored exactly once: a batch wholly before the expected offset is answered with "
        "`stored: 0`, an overlap stores only the new tail, and a gap is 409 with `expected_offset`. Appending "
        "also counts as a heartbeat.",
        parameters=RUN_PATH, request=batch,
        responses={200: AppendedSerializer, 409: error(
            409, "A gap (resend from `expected_offset`), or `conflict: content`: the writer's offsets hold other records.",
            StreamGapSerializer,
        )},
    ))
    class Api(StreamAppendApi):
        pass

    Api.__name__ = Api.__qualname__ = f"{stream.capitalize()}AppendApi"
    return Api


HistoryAppendApi = _append_api("history", HistoryBatchSerializer, "Logged metrics and media references, by step.")
SystemAppendApi = _append_api("system", SystemBatchSerializer, "System metrics (CPU, GPU, memory), by time.")
ConsoleAppendApi = _append_api("console", ConsoleBatchSerializer, "Lines of the run's stdout and stderr.")


class HistorySampledApi(ProjectScopedApi):
    @extend_schema(
        operation_id="history_sampled", summary="A run's history, sampled for charts",
        description="Each point of a numeric series stands for a bucket of steps: `values` the mean of its finite "
        "values, `min`/`max` the extremes. Keys holding other values give up to `samples` of their rows.",
        parameters=[*RUN_PATH, KEYS, NUMERIC_STREAM, SAMPLES, MIN_STEP, MAX_STEP], responses=HistorySerializer,
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
        operation_id="history_export", summary="A run's whole history, for export",
        description="Every row in logged order, streamed: JSON lines `{\"step\", \"time\", <key>: value}`, or CSV "
        "with the header `step,time,<keys>`. Rows holding none of the keys are left out; with `min_step`/`max_step`, "
        "so are rows outside that step range.",
        parameters=[*RUN_PATH, KEYS, NUMERIC_STREAM, EXPORT_FORMAT, EXPORT_MIN_STEP, EXPORT_MAX_STEP],
        responses={(200, "application/x-ndjson"): TEXT, (200, "text/csv"): TEXT},
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> StreamingHttpResponse:
        run = self.get_run(run_id)
        fmt = request.query_params.get("format", "jsonl")
        if fmt not in ("jsonl", "csv"):
            raise BadInput("Use jsonl or csv.", "format")
        stream = stream_param(request.query_params.get("stream", "history"), allow_console=False)
        body = selectors.history_export(
            run=run, stream=stream, keys=keys_param(request), fmt=fmt,
            min_step=int_param(request, "min_step", None), max_step=int_param(request, "max_step", None),
        )
        content_type = "text/csv" if fmt == "csv" else "application/x-ndjson"
        response = StreamingHttpResponse(body, content_type=content_type)
        # Quoted and encoded by Django: an old run id may hold a newline, a header may not.
        response["Content-Disposition"] = content_disposition_header(True, f"{run.run_id}-{stream.label}.{fmt}") or ""
        return response


class ConsoleApi(ProjectScopedApi):
    @extend_schema(
        operation_id="console_read", summary="A run's console lines",
        description="From `offset` on; `next_offset` is where the next read starts. Offsets count the lines of every "
        "writer of the run; `writer` reads one writer's lines (404 when the run has no such writer), from "
        "`writer_offset` (its own count of lines) instead of `offset` if given.",
        parameters=[*RUN_PATH, OFFSET, limit(1000, 10_000), WRITER, WRITER_OFFSET], responses=ConsoleSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id)
        lines, next_offset = selectors.console_lines(
            run=run,
            writer=writer_param(request, run),
            offset=int_param(request, "offset", 0) or 0,
            limit=int_param(request, "limit", 1000, 1, 10_000) or 1000,
            writer_offset=int_param(request, "writer_offset", None),
        )
        return Response({"lines": lines, "next_offset": next_offset})


class FileListApi(ProjectScopedApi):
    @extend_schema(
        operation_id="file_list", summary="A run's files", description="By path.",
        parameters=RUN_PATH, responses=RunFileListSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id)
        return Response({"results": [file_payload(f) for f in selectors.file_list(run=run)]})


class FileDetailApi(ProjectScopedApi):
    @extend_schema(
        operation_id="file_download", summary="Download a run's file",
        description="The bytes as an attachment, sandboxed (`Content-Security-Policy: sandbox`); on object storage a "
        "302 to a signed URL that expires.",
        parameters=[*RUN_PATH, FILE_PATH],
        responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, "The file."), 302: REDIRECT},
    )
    def get(self, request: Request, org: str, project: str, run_id: str, path: str) -> Any:
        rf = selectors.file_get(run=self.get_run(run_id), path=file_path_check(path))
        # Uploads are the users' bytes (HTML panels, SVG posing as an image):
        # opened directly, they run nothing and reach nothing.
        return stored_file_response(
            rf.storage_name, content_type=rf.content_type, filename=rf.path.rsplit("/", 1)[-1],
            csp="sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
        )

    @extend_schema(
        operation_id="file_upload", summary="Upload a run's file",
        description="The raw bytes are the body. Streamed to storage and checked against `X-Cairn-Sha256` and "
        "`Content-Length` (a mismatch is 400, nothing kept); over CAIRN_MAX_FILE_SIZE is 413. The same path again "
        "replaces the file.",
        parameters=[*RUN_PATH, FILE_PATH, SHA256_HEADER], request=BINARY, responses={201: RunFileSerializer},
    )
    def put(self, request: Request, org: str, project: str, run_id: str, path: str) -> Response:
        run = self.get_run(run_id)
        # A gzip body's Content-Length counts compressed bytes, not the file's.
        length = None if body_inflated(request._request) else request.META.get("CONTENT_LENGTH")
        rf = services.file_store(
            run=run,
            path=file_path_check(path),
            body=cast(IO[bytes], request._request),  # the raw stream: never parsed, never in memory
            declared_sha256=request.META.get("HTTP_X_CAIRN_SHA256", ""),
            declared_size=int(length) if length and length.isdigit() else None,
        )
        return Response(file_payload(rf), status=201)
