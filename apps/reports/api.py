"""The reports API: thin views over services and selectors (docs/protocol.md, "Reports").

Every report endpoint goes through ReportScopedApi, which finds the report by
its key and checks the caller's access once; a report's panel data comes only
from here, never from the project's own endpoints.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.apis import ScopedApi
from apps.core.params import body_object
from apps.core.schema import error
from apps.core.storage import stored_file_response
from apps.reports import export, media, selectors, services
from apps.reports.models import Report
from apps.reports.permissions import ReportAccess, report_resolve
from apps.reports.schemas import (
    BLOCK,
    BLOCKS_QUERY,
    DRAFT,
    EXPORT_FORMAT,
    KEY,
    MEDIA_ID,
    NUMBER,
    PANEL_DATA,
    WHAT,
    BlockAppendSerializer,
    CommentCreateSerializer,
    CommentListSerializer,
    CommentSerializer,
    PanelsDataSerializer,
    PublishSerializer,
    ReportCreateSerializer,
    ReportListSerializer,
    ReportSerializer,
    ReportUpdateSerializer,
    VersionContentSerializer,
    VersionListSerializer,
)
from apps.runs.api import ProjectScopedApi
from apps.runs.schemas import PROJECT_PATH, REDIRECT


class ReportListApi(ProjectScopedApi):
    @extend_schema(
        operation_id="report_list", summary="Reports of a project",
        description="The published reports the caller may read and the caller's own drafts, newest change first.",
        parameters=PROJECT_PATH, responses=ReportListSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        reports = selectors.report_list(project=self.project, user=request.user)
        return Response({"results": [selectors.report_summary(r) for r in reports]})

    @extend_schema(
        operation_id="report_create", summary="Create a report",
        description="Members and admins; a draft only its author sees until published.",
        parameters=PROJECT_PATH, request=ReportCreateSerializer, responses={201: ReportSerializer},
    )
    def post(self, request: Request, org: str, project: str) -> Response:
        report = services.report_create(project=self.project, author=request.user, data=body_object(request))  # type: ignore[arg-type]
        report = Report.objects.select_related("project__organization", "author", "published").get(pk=report.pk)
        access = ReportAccess(read=True, edit=True, member=True)
        return Response(selectors.report_detail(report=report, access=access), status=201)


class ReportScopedApi(ScopedApi):
    """A report from the URL (`key`), with what the caller may do to it.

    A report's needs are "read", "member" (comment) or "edit"; a method not
    listed needs "edit".
    """

    needs = {"GET": "read", "HEAD": "read", "OPTIONS": "read"}
    unlisted_needs = "edit"
    report: Report
    report_access: ReportAccess

    def resolve_scope(self, request: Request, need: Any, **kwargs: Any) -> None:
        self.report, self.report_access = report_resolve(
            user=request.user, key=kwargs["key"], edit=need == "edit", member=need == "member"
        )

    def wants_draft(self, request: Request) -> bool:
        """`?draft=1`: only editors may read the draft's panels."""
        if request.query_params.get("draft") not in ("1", "true"):
            return False
        if not self.report_access.edit:
            raise Http404
        return True


class ReportDetailApi(ReportScopedApi):
    @extend_schema(
        operation_id="report_get", summary="A report",
        description="The published version for readers; editors also get the draft.",
        parameters=[KEY], responses=ReportSerializer,
    )
    def get(self, request: Request, key: str) -> Response:
        return Response(selectors.report_detail(report=self.report, access=self.report_access))

    @extend_schema(
        operation_id="report_update", summary="Autosave a report's draft, or change its settings",
        description="Editors. A panel still being set up is kept with an `error` and shows nothing until complete.",
        parameters=[KEY], request=ReportUpdateSerializer, responses=ReportSerializer,
    )
    def patch(self, request: Request, key: str) -> Response:
        report = services.report_update(report=self.report, user=request.user, data=body_object(request))  # type: ignore[arg-type]
        return Response(selectors.report_detail(report=report, access=self.report_access))

    @extend_schema(
        operation_id="report_delete", summary="Delete a report", description="Editors.",
        parameters=[KEY], responses={204: None},
    )
    def delete(self, request: Request, key: str) -> Response:
        services.report_delete(report=self.report)
        return Response(status=204)


class ReportBlocksApi(ReportScopedApi):
    @extend_schema(
        operation_id="report_block_append", summary="Append a block to a report's draft",
        description="Editors; what the workspace's *Add to report* uses. Answers the report.",
        parameters=[KEY], request=BlockAppendSerializer, responses={201: ReportSerializer},
    )
    def post(self, request: Request, key: str) -> Response:
        report = services.report_block_append(report=self.report, user=request.user, block=body_object(request).get("block"))  # type: ignore[arg-type]
        report, access = report_resolve(user=request.user, key=report.key)
        return Response(selectors.report_detail(report=report, access=access), status=201)


class ReportPublishApi(ReportScopedApi):
    @extend_schema(
        operation_id="report_publish", summary="Publish a report's draft",
        description="Editors. A new version from the draft, checked strictly (an incomplete panel is a 400 naming "
        "it). Frozen: every panel's data is computed now and readers get exactly those numbers.",
        parameters=[KEY], request=PublishSerializer, responses={201: ReportSerializer},
    )
    def post(self, request: Request, key: str) -> Response:
        data = body_object(request)
        services.report_publish(
            report=self.report, user=request.user,  # type: ignore[arg-type]
            visibility=data.get("visibility", "org"), frozen=data.get("frozen", False),
        )
        report, access = report_resolve(user=request.user, key=key)
        return Response(selectors.report_detail(report=report, access=access), status=201)


def _json_bytes(body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "private, no-cache"
    return response


class ReportDataApi(ReportScopedApi):
    @extend_schema(
        operation_id="report_data", summary="A report's panels' data",
        description="What each panel shows, and only that, for the published version (or the draft, editors).",
        parameters=[KEY, DRAFT, BLOCKS_QUERY], responses=PanelsDataSerializer,
    )
    def get(self, request: Request, key: str) -> HttpResponse:
        raw = request.query_params.get("blocks")
        block_ids = [b for b in raw.split(",") if b] if raw else None
        parts = selectors.panels_data(report=self.report, draft=self.wants_draft(request), block_ids=block_ids)
        return _json_bytes(selectors.panels_json(parts))


class ReportPanelDataApi(ReportScopedApi):
    @extend_schema(
        operation_id="report_panel_data", summary="One panel's data",
        description="As in the report's panels' data; 404 when the version has no such panel.",
        parameters=[KEY, BLOCK, DRAFT], responses=OpenApiResponse(PANEL_DATA),
    )
    def get(self, request: Request, key: str, block: str) -> HttpResponse:
        parts = selectors.panels_data(report=self.report, draft=self.wants_draft(request), block_ids=[block])
        if block not in parts:
            raise Http404
        return _json_bytes(parts[block])


def _stored(name: str, content_type: str, cache: str) -> HttpResponseBase:
    return stored_file_response(name, content_type=content_type, cache=cache)


class ReportMediaApi(ReportScopedApi):
    """A media panel's thumbnail or file: only an item the panel shows (its key, its run set's
    runs; a frozen version's stored items), never reached through the project's endpoints."""

    @extend_schema(
        operation_id="report_media", summary="A media panel's thumbnail or file",
        description="Only an item the panel shows (its key, a run of its run set; a frozen version's stored "
        "items); on object storage a 302 to a signed URL.",
        parameters=[KEY, BLOCK, MEDIA_ID, WHAT, DRAFT],
        responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, "The bytes."), 302: REDIRECT},
    )
    def get(self, request: Request, key: str, block: str, media_id: str, what: str) -> HttpResponseBase:
        blocks, version = selectors.reader_blocks(report=self.report, draft=self.wants_draft(request))
        panel = next((b["panel"] for b in blocks if b["type"] == "panel" and b["id"] == block and "error" not in b), None)
        if panel is None or panel["kind"] != "media":
            raise Http404
        m, frozen = media.panel_media_item(report=self.report, panel=panel, version=version, block_id=block, media_id=int(media_id))
        if what == "thumbnail":
            name = media.thumbnail_name(m, frozen)
            if not name:
                raise Http404
            return _stored(name, media.safe_image_type(name), "private, max-age=3600")
        content_type = media.file_type(m) if m is not None else ""
        rf = m.run.files.filter(path=m.path).first() if m is not None and content_type else None
        if rf is None:
            raise Http404
        return _stored(rf.storage_name, content_type, "private, max-age=3600")


class ReportVersionListApi(ReportScopedApi):
    needs = {"GET": "member"}

    @extend_schema(
        operation_id="report_version_list", summary="A report's published versions",
        description="Members of the organisation; newest first.", parameters=[KEY], responses=VersionListSerializer,
    )
    def get(self, request: Request, key: str) -> Response:
        return Response({"results": selectors.version_list(report=self.report)})


class ReportVersionApi(ReportScopedApi):
    needs = {"GET": "member"}

    @extend_schema(
        operation_id="report_version_get", summary="One published version of a report",
        description="Members of the organisation.", parameters=[KEY, NUMBER], responses=VersionContentSerializer,
    )
    def get(self, request: Request, key: str, number: int) -> Response:
        version = self.report.versions.select_related("published_by").filter(number=number).first()
        if version is None:
            raise Http404
        return Response(selectors.version_content(version))


class ReportCommentsApi(ReportScopedApi):
    needs = {"GET": "member", "POST": "member"}

    @extend_schema(
        operation_id="report_comment_list", summary="A report's comments",
        description="Members of the organisation (viewers too); oldest first.", parameters=[KEY],
        responses=CommentListSerializer,
    )
    def get(self, request: Request, key: str) -> Response:
        return Response({"results": selectors.comment_list(report=self.report)})

    @extend_schema(
        operation_id="report_comment_create", summary="Comment on a report",
        description="Members of the organisation (viewers too).", parameters=[KEY],
        request=CommentCreateSerializer, responses={201: CommentSerializer},
    )
    def post(self, request: Request, key: str) -> Response:
        comment = services.comment_create(report=self.report, author=request.user, body=body_object(request).get("body"))  # type: ignore[arg-type]
        return Response(selectors.comment_payload(comment), status=201)


class ReportExportApi(ReportScopedApi):
    @extend_schema(
        operation_id="report_export", summary="A report as one HTML file or a PDF",
        description="Self-contained HTML (inline CSS, charts as SVG, no script, nothing to fetch), or a PDF made "
        "from it; 503 when the server lacks WeasyPrint's system libraries.",
        parameters=[KEY, EXPORT_FORMAT, DRAFT],
        responses={
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, "html"),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, "pdf"),
            503: error(503, "PDF export needs WeasyPrint's system libraries (pango) on the server."),
        },
    )
    def get(self, request: Request, key: str, fmt: str) -> HttpResponse:
        html = export.report_html(report=self.report, draft=self.wants_draft(request))
        name = f"report-{self.report.key}"
        if fmt == "html":
            response = HttpResponse(html, content_type="text/html; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.html"'
            return response
        pdf = export.report_pdf(html=html)
        if pdf is None:
            return HttpResponse(
                b'{"error":"PDF export needs WeasyPrint\'s system libraries (pango) on the server."}',
                status=503, content_type="application/json",
            )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response



