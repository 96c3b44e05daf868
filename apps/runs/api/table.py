"""The runs table's API: lean rows, keys, the shared layout, groups, CSV, bulk edits.

Every view subclasses ProjectScopedApi, so access is checked in one place:
reads need read access, anything else write access (members and admins).
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.access import Access
from apps.core.errors import BadInput
from apps.core.params import body_object, int_param
from apps.runs import table
from apps.runs.api import ProjectScopedApi
from apps.runs.table import Column


def _columns(request: Request, api: ProjectScopedApi) -> list[Column]:
    raw = request.query_params.get("columns")
    if raw is None:
        return table.view_get(project=api.project)
    return table.columns_parse(raw)


class TableRowsApi(ProjectScopedApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("filter", str, description="Filter language, see docs/protocol.md"),
            OpenApiParameter("order", str, description="One field, '-' for descending; also `host`"),
            OpenApiParameter("columns", str, description="Comma-separated column ids; default: the saved layout"),
            OpenApiParameter("ids", str, description="Comma-separated run ids: just these runs (live updates)"),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ]
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        columns = _columns(request, self)
        ids = request.query_params.get("ids")
        if ids is not None:
            run_ids = [i for i in ids.split(",") if i]
            if len(run_ids) > table.MAX_BULK:
                raise BadInput(f"At most {table.MAX_BULK} ids.", "ids")
            rows = table.table_rows_by_id(project=self.project, run_ids=run_ids, columns=columns)
            return Response({"columns": [c.as_dict() for c in columns], "results": rows})
        page = table.table_page(
            project=self.project,
            filter_text=request.query_params.get("filter", ""),
            order_text=request.query_params.get("order", ""),
            columns=columns,
            limit=int_param(request, "limit", table.PAGE_SIZE, 1, 1000) or table.PAGE_SIZE,
            offset=int_param(request, "offset", 0) or 0,
        )
        return Response(page)


class TableKeysApi(ProjectScopedApi):
    def get(self, request: Request, org: str, project: str) -> Response:
        return Response(table.table_keys(project=self.project))


class TableViewApi(ProjectScopedApi):
    needs = {**ProjectScopedApi.needs, "PUT": Access.WRITE}

    def get(self, request: Request, org: str, project: str) -> Response:
        return Response({"columns": [c.id for c in table.view_get(project=self.project)]})

    def put(self, request: Request, org: str, project: str) -> Response:
        columns = table.view_save(project=self.project, user=request.user, data=body_object(request))
        return Response({"columns": [c.id for c in columns]})


class TableGroupsApi(ProjectScopedApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("by", str, description="`group` or a config key, e.g. config.optimizer"),
            OpenApiParameter("filter", str),
            OpenApiParameter("metrics", str, description="Comma-separated summary column ids"),
        ]
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        by = request.query_params.get("by", "")
        if not by:
            raise BadInput("Required: `group` or a config key.", "by")
        metrics = table.columns_parse(request.query_params.get("metrics", ""))
        return Response(
            table.table_groups(
                project=self.project, filter_text=request.query_params.get("filter", ""), by=by, metrics=metrics
            )
        )


class TableExportApi(ProjectScopedApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("filter", str),
            OpenApiParameter("order", str),
            OpenApiParameter("columns", str, description="Comma-separated column ids; default: the saved layout"),
        ]
    )
    def get(self, request: Request, org: str, project: str) -> StreamingHttpResponse:
        body = table.table_csv(
            project=self.project,
            filter_text=request.query_params.get("filter", ""),
            order_text=request.query_params.get("order", ""),
            columns=_columns(request, self),
        )
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.project.slug}-runs.csv"'
        return response


class TableBulkApi(ProjectScopedApi):
    def post(self, request: Request, org: str, project: str) -> Response:
        return Response(table.runs_bulk(project=self.project, data=body_object(request)))
