"""The charts API: metric keys of a project, several runs' history at once, a
group's history aggregated, saved panels."""

from __future__ import annotations

import math
from typing import Any

import orjson
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.access import Access
from apps.core.errors import BadInput
from apps.core.params import body_object, int_param, keys_param
from apps.core.rendering import nonfinite_as_strings
from apps.core.schema import flag_query, text_query
from apps.runs import groups, selectors, workspace
from apps.runs.api import ProjectScopedApi, stream_param
from apps.runs.models import Stream
from apps.runs.schemas import (
    GROUP,
    KEYS,
    MAX_STEP,
    MIN_STEP,
    NUMERIC_STREAM,
    PROJECT_PATH,
    RUNS,
    SAMPLES,
)
from apps.runs.schemas.reads import (
    GroupHistorySerializer,
    KeyListSerializer,
    ProjectHistorySerializer,
    WorkspaceSaveSerializer,
    WorkspaceSerializer,
    WorkspaceWithKeysSerializer,
)


def _fast_json(request: Request, data: dict[str, Any]) -> Any:
    """Many thousands of numbers: orjson for the browser (10x the stdlib), the usual path otherwise.

    orjson would write NaN as null, so a list holding a non-finite number is
    rewritten with the strings the browser asked for first; other clients get
    the bare tokens through the normal renderer.
    """
    if request.META.get("HTTP_X_CAIRN_NONFINITE") != "string":
        return Response(data)

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            try:  # a finite sum: every item is a finite number, checked in C
                if math.isfinite(math.fsum(value)):
                    return value
            except (TypeError, OverflowError):
                pass
            return nonfinite_as_strings(value)
        if isinstance(value, float) and not math.isfinite(value):
            return nonfinite_as_strings(value)
        return value

    return HttpResponse(orjson.dumps(clean(data)), content_type="application/json")


def _runs_param(request: Request) -> list[str]:
    raw = request.query_params.get("runs", "")
    run_ids = [r for r in raw.split(",") if r]
    if not run_ids:
        raise BadInput("Required: comma-separated run ids.", "runs")
    if len(run_ids) > workspace.MAX_RUNS:
        raise BadInput(f"At most {workspace.MAX_RUNS} runs.", "runs")
    return run_ids


class ProjectKeysApi(ProjectScopedApi):
    @extend_schema(
        operation_id="project_keys", summary="Series keys of a project's runs",
        description="The distinct keys the runs logged, keys holding numbers first, then by name; keys starting with `_` are hidden.",
        parameters=[*PROJECT_PATH, NUMERIC_STREAM, text_query("runs", "Comma-separated run ids; default every run.")],
        responses=KeyListSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        raw_runs = request.query_params.get("runs")
        keys = workspace.project_keys(
            project=self.project,
            stream=stream_param(request.query_params.get("stream", "history"), allow_console=False),
            run_ids=[r for r in raw_runs.split(",") if r] if raw_runs is not None else None,
        )
        return Response({"keys": [k.as_dict() for k in keys]})


class ProjectHistoryApi(ProjectScopedApi):
    @extend_schema(
        operation_id="project_history", summary="Several runs' sampled history in one read",
        description="As one run's sampled history, for each run named; runs that do not exist are left out.",
        parameters=[
            *PROJECT_PATH, RUNS, KEYS, NUMERIC_STREAM, SAMPLES, MIN_STEP, MAX_STEP,
            flag_query("times", "1: add each run's `_time` series (step to Unix time); whole-run reads only."),
            flag_query("numeric", "1: only keys holding numbers."),
        ],
        responses=ProjectHistorySerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        runs = workspace.runs_history_sampled(
            project=self.project,
            run_ids=_runs_param(request),
            keys=keys_param(request),
            stream=stream_param(request.query_params.get("stream", "history"), allow_console=False),
            samples=int_param(request, "samples", 1000, 1, selectors.MAX_SAMPLES) or 1000,
            min_step=int_param(request, "min_step", None),
            max_step=int_param(request, "max_step", None),
            with_times=request.query_params.get("times") in ("1", "true"),
            numeric_only=request.query_params.get("numeric") in ("1", "true"),
        )
        return _fast_json(request, {"runs": {run_id: h.as_dict() for run_id, h in runs.items()}})


class GroupHistoryApi(ProjectScopedApi):
    @extend_schema(
        operation_id="group_history", summary="A group's history, aggregated across its runs",
        description="For each numeric history key of the runs sharing the `group` (or each of `keys`): the steps "
        "of every run bucketed onto one grid of at most `samples` points, each point the `mean`, `min` and `max` "
        "over the runs with a finite value there (`runs` of them). Each run's series is its sampled history. "
        f"Only the first {groups.MAX_RUNS} runs created count (`aggregated` of `run_count`). 404 when no run is in "
        "the group.",
        parameters=[*PROJECT_PATH, GROUP, KEYS, SAMPLES], responses=GroupHistorySerializer,
    )
    def get(self, request: Request, org: str, project: str, group: str) -> Response:
        history = groups.group_history(
            project=self.project,
            group=groups.group_check(group),
            keys=keys_param(request),
            samples=int_param(request, "samples", 1000, 1, selectors.MAX_SAMPLES) or 1000,
        )
        return _fast_json(request, history.as_dict())


class WorkspaceApi(ProjectScopedApi):
    needs = {**ProjectScopedApi.needs, "PUT": Access.WRITE}

    @extend_schema(
        operation_id="workspace_get", summary="A project's chart layout",
        description="The saved panels (none saved: the page makes a panel per numeric key), whether the caller may "
        "change them, and the history keys.",
        parameters=PROJECT_PATH, responses=WorkspaceWithKeysSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        # The history keys come along: the page draws its first charts one request sooner.
        keys = workspace.project_keys(project=self.project, stream=Stream.HISTORY)
        return Response({
            **workspace.workspace_get(project=self.project),
            "can_write": self.project_access >= Access.WRITE,
            "keys": [k.as_dict() for k in keys],
        })

    @extend_schema(
        operation_id="workspace_save", summary="Save a project's chart layout",
        description="Members and admins; the panels every reader of the project sees. Answers the saved layout.",
        parameters=PROJECT_PATH, request=WorkspaceSaveSerializer, responses=WorkspaceSerializer,
    )
    def put(self, request: Request, org: str, project: str) -> Response:
        user = request.user if request.user.is_authenticated else None
        saved = workspace.workspace_save(project=self.project, user=user, data=body_object(request))
        return Response({**saved, "can_write": True})
