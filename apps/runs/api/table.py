"""The runs table's API: lean rows, keys, the shared layout, groups, CSV, bulk edits.

Every view subclasses ProjectScopedApi, so access is checked in one place:
reads need read access, anything else write access (members and admins).
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.access import Access
from apps.core.errors import BadInput
from apps.core.params import body_object, int_param
from apps.core.schema import text_query
from apps.runs import table
from apps.runs.api import ProjectScopedApi
from apps.runs.schemas import (
    COLUMNS,
    FILTER,
    OFFSET,
    PROJECT_PATH,
    limit,
)
from apps.runs.schemas.reads import (
    TableBulkDoneSerializer,
    TableBulkSerializer,
    TableGroupsSerializer,
    TableKeysSerializer,
    TablePageSerializer,
    TableViewSerializer,
)
from apps.runs.table import Column


def _columns(request: Request, api: ProjectScopedApi) -> list[Column]:
    raw = request.query_params.get("columns")
    if raw is None:
        return table.view_get(project=api.project)
    return table.columns_parse(raw)


class TableRowsApi(ProjectScopedApi):
    @extend_schema(
        operation_id="table_rows", summary="A page of the runs table",
        description="Lean rows: each run's values for the columns, in the run list's filter and order. With `ids`, "
        "just those runs in no order (what the live table polls).",
        parameters=[
            *PROJECT_PATH, FILTER, text_query("order", "One field, `-` for descending; also `host`."), COLUMNS,
            text_query("ids", f"Comma-separated run ids (at most {table.MAX_BULK}): just these runs."),
            limit(table.PAGE_SIZE, 1000), OFFSET,
        ],
        responses=TablePageSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        columns = _columns(request, self)
        limit = int_param(request, "limit", table.PAGE_SIZE, 1, 1000) or table.PAGE_SIZE
        offset = int_param(request, "offset", 0) or 0
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
            limit=limit,
            offset=offset,
        )
        return Response(page)


class TableKeysApi(ProjectScopedApi):
    @extend_schema(
        operation_id="table_keys", summary="The columns there are to pick",
        description="Run fields, and the config and summary keys found in the newest 1,000 runs.",
        parameters=PROJECT_PATH, responses=TableKeysSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        return Response(table.table_keys(project=self.project))


class TableViewApi(ProjectScopedApi):
    needs = {**ProjectScopedApi.needs, "PUT": Access.WRITE}

    @extend_schema(
        operation_id="table_view_get", summary="The runs table's column layout",
        description="Shared by the project's members.", parameters=PROJECT_PATH, responses=TableViewSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        return Response({"columns": [c.id for c in table.view_get(project=self.project)]})

    @extend_schema(
        operation_id="table_view_save", summary="Save the runs table's column layout",
        description="Members and admins; the columns every reader of the project sees.",
        parameters=PROJECT_PATH, request=TableViewSerializer, responses=TableViewSerializer,
    )
    def put(self, request: Request, org: str, project: str) -> Response:
        columns = table.view_save(project=self.project, user=request.user, data=body_object(request))
        return Response({"columns": [c.id for c in columns]})


class TableGroupsApi(ProjectScopedApi):
    @extend_schema(
        operation_id="table_groups", summary="Runs grouped, with metric statistics",
        description="By `group`, `fingerprint` (the experiment fingerprint) or a config key, largest groups first; each metric's count, mean, min and max over "
        "its finite values.",
        parameters=[
            *PROJECT_PATH, text_query("by", "`group`, `fingerprint` or a config key, e.g. `config.optimizer`.", required=True), FILTER,
            text_query("metrics", "Comma-separated summary column ids."),
        ],
        responses=TableGroupsSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        by = request.query_params.get("by", "")
        if not by:
            raise BadInput("Required: `group`, `fingerprint` or a config key.", "by")
        metrics = table.columns_parse(request.query_params.get("metrics", ""))
        return Response(
            table.table_groups(
                project=self.project, filter_text=request.query_params.get("filter", ""), by=by, metrics=metrics
            )
        )


class TableExportApi(ProjectScopedApi):
    @extend_schema(
        operation_id="table_export", summary="The runs table as CSV",
        description="Filtered and ordered as the table, streamed: header `id,name,<column ids>`; text that would "
        "start a spreadsheet formula gets a leading `'`.",
        parameters=[*PROJECT_PATH, FILTER, text_query("order", "As for the table's rows."), COLUMNS],
        responses={(200, "text/csv"): OpenApiResponse(str, "Streamed.")},
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
    @extend_schema(
        operation_id="table_bulk", summary="Tag, untag or delete many runs",
        description="Members and admins. Unknown ids are skipped.",
        parameters=PROJECT_PATH, request=TableBulkSerializer, responses=TableBulkDoneSerializer,
    )
    def post(self, request: Request, org: str, project: str) -> Response:
        return Response(table.runs_bulk(project=self.project, data=body_object(request)))
