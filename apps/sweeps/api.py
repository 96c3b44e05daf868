"""The sweeps API: thin views over services and selectors (docs/sweeps.md)."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.access import Access
from apps.core.errors import BadInput
from apps.core.params import body_object
from apps.core.schema import errors
from apps.runs.api.base import ProjectScopedApi, run_id_check
from apps.runs.schemas import PROJECT_PATH
from apps.sweeps import selectors, services
from apps.sweeps.models import SWEEP_ID_PATTERN, Sweep
from apps.sweeps.schemas import (
    ACTION,
    AGENT_ID,
    SWEEP_PATH,
    TRIAL_RUN_ID,
    HeartbeatRequestSerializer,
    HeartbeatSerializer,
    ImportanceSerializer,
    NextRequestSerializer,
    NextSerializer,
    SweepCreateSerializer,
    SweepListSerializer,
    SweepSerializer,
    TrialListSerializer,
    TrialSerializer,
)
from apps.sweeps.serializers import sweep_payload, trial_payload

_SWEEP_ID = re.compile(SWEEP_ID_PATTERN)


class SweepScopedApi(ProjectScopedApi):
    """A sweep of the project from the URL; reads for viewers, the rest for members."""

    def get_sweep(self, sweep_id: str) -> Sweep:
        if not _SWEEP_ID.fullmatch(sweep_id.lower()):
            raise BadInput("A sweep id is lower-case letters and digits.", "sweep_id")
        return selectors.sweep_get(project=self.project, sweep_id=sweep_id)


class SweepListApi(SweepScopedApi):
    def creates_project(self, request: Request) -> bool:
        return request.method == "POST"  # W&B: a sweep's project is created with it, as a run's is
    @extend_schema(
        operation_id="sweep_list",
        summary="A project's sweeps",
        description="Newest first, with their runs counted by state.",
        parameters=PROJECT_PATH,
        responses=SweepListSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        return Response(
            {
                "results": [
                    sweep_payload(s, c) for s, c in selectors.sweep_list(project=self.project)
                ]
            }
        )

    @extend_schema(
        operation_id="sweep_create",
        summary="Create a sweep",
        description="Members (the project is created if it does not exist). The configuration is W&B's sweep file, as an object or as the file's text; "
        "a bad one is a 400 that names the key. Agents then ask it for runs (`cairn agent org/project/id`).",
        parameters=PROJECT_PATH,
        request=SweepCreateSerializer,
        responses={201: SweepSerializer},
    )
    def post(self, request: Request, org: str, project: str) -> Response:
        sweep = services.sweep_create(
            project=self.project, user=request.user, data=body_object(request)
        )
        sweep.project = self.project
        return Response(sweep_payload(sweep, {}), status=201)


class SweepDetailApi(SweepScopedApi):
    @extend_schema(
        operation_id="sweep_get",
        summary="A sweep",
        description="Its configuration, state and runs counted by state.",
        parameters=SWEEP_PATH,
        responses=SweepSerializer,
    )
    def get(self, request: Request, org: str, project: str, sweep_id: str) -> Response:
        return Response(sweep_payload(self.get_sweep(sweep_id)))


class SweepControlApi(SweepScopedApi):
    @extend_schema(
        operation_id="sweep_control",
        summary="Pause, resume, stop or cancel a sweep",
        description="Members. 409 when the sweep's state does not allow it (a finished sweep cannot resume). "
        "Agents hear of it at their next heartbeat.",
        parameters=[*SWEEP_PATH, ACTION],
        request=None,
        responses={200: SweepSerializer, **errors(409)},
    )
    def post(
        self, request: Request, org: str, project: str, sweep_id: str, action: str
    ) -> Response:
        if action not in ("pause", "resume", "stop", "cancel"):
            raise BadInput("Use pause, resume, stop or cancel.", "action")
        sweep = services.sweep_control(sweep=self.get_sweep(sweep_id), action=action)
        sweep.project = self.project
        return Response(sweep_payload(sweep))


class TrialListApi(SweepScopedApi):
    @extend_schema(
        operation_id="sweep_runs",
        summary="A sweep's runs",
        description="Every run the sweep handed out, oldest first, with its parameters, state and metric.",
        parameters=SWEEP_PATH,
        responses=TrialListSerializer,
    )
    def get(self, request: Request, org: str, project: str, sweep_id: str) -> Response:
        trials = selectors.trial_list(sweep=self.get_sweep(sweep_id))
        return Response({"results": [trial_payload(t) for t in trials]})


class TrialStopApi(SweepScopedApi):
    @extend_schema(
        operation_id="sweep_run_stop",
        summary="Stop one run of a sweep early",
        description="Members. Its agent stops it at its next heartbeat (SIGTERM, then SIGKILL after a grace period).",
        parameters=[*SWEEP_PATH, TRIAL_RUN_ID],
        request=None,
        responses=TrialSerializer,
    )
    def post(
        self, request: Request, org: str, project: str, sweep_id: str, run_id: str
    ) -> Response:
        trial = services.trial_stop(sweep=self.get_sweep(sweep_id), run_id=run_id_check(run_id))
        return Response(trial_payload(trial))


class SweepNextApi(SweepScopedApi):
    needs = {"POST": Access.WRITE}

    @extend_schema(
        operation_id="sweep_next",
        summary="The next run for an agent",
        description="Members. Chosen now, on the server, under a lock on the sweep: agents asking at once never get "
        "the same run. `run`: start `run_id` with `params`; `wait`: paused; `done`: nothing more to run.",
        parameters=SWEEP_PATH,
        request=NextRequestSerializer,
        responses=NextSerializer,
    )
    def post(self, request: Request, org: str, project: str, sweep_id: str) -> Response:
        data = body_object(request)
        sweep = self.get_sweep(sweep_id)
        nxt = services.sweep_next(
            sweep=sweep, agent_id=data.get("agent"), host=data.get("host", "")
        )
        body: dict[str, Any] = {"action": nxt.action, "reason": nxt.reason}
        if nxt.trial is not None:
            body.update(
                run_id=nxt.trial.run_id,
                params=nxt.trial.params,
                program=sweep.config.get("program"),
                command=sweep.config.get("command"),
            )
        return Response(body)


class AgentHeartbeatApi(SweepScopedApi):
    needs = {"POST": Access.WRITE}

    @extend_schema(
        operation_id="sweep_agent_heartbeat",
        summary="An agent is alive",
        description="Members. Says which runs the agent runs now; the answer says the sweep's state and which of "
        "them to stop (stopped early, or the sweep cancelled).",
        parameters=[*SWEEP_PATH, AGENT_ID],
        request=HeartbeatRequestSerializer,
        responses=HeartbeatSerializer,
    )
    def post(
        self, request: Request, org: str, project: str, sweep_id: str, agent_id: str
    ) -> Response:
        data = body_object(request)
        beat = services.agent_heartbeat(
            sweep=self.get_sweep(sweep_id),
            agent_id=agent_id,
            run_ids=data.get("runs"),
            host=data.get("host", ""),
        )
        return Response({"state": beat.state, "stop": beat.stop})


class ImportanceApi(SweepScopedApi):
    @extend_schema(
        operation_id="sweep_importance",
        summary="Parameter importance",
        description="A random forest's importances and each parameter's correlation with the metric, over the "
        "runs that ended with one; recomputed when a run ends. Empty below three such runs.",
        parameters=SWEEP_PATH,
        responses=ImportanceSerializer,
    )
    def get(self, request: Request, org: str, project: str, sweep_id: str) -> Response:
        return Response(self.get_sweep(sweep_id).importance)
