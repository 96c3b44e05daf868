"""A run's alerts (W&B's `run.alert`): the agent posts them, the run page lists them."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import BadInput
from apps.core.params import body_object
from apps.core.validation import text_check
from apps.runs import selectors, services
from apps.runs.api.base import ProjectScopedApi
from apps.runs.models import ALERT_ID_PATTERN, ALERT_TEXT_MAX, ALERT_TITLE_MAX, AlertLevel, RunAlert
from apps.runs.schemas import RUN_PATH
from apps.runs.schemas.alerts import AlertCreateSerializer, AlertListSerializer, AlertSerializer

_ALERT_ID = re.compile(ALERT_ID_PATTERN)


def alert_payload(alert: RunAlert) -> dict[str, Any]:
    return {
        "id": alert.alert_id,
        "title": alert.title,
        "text": alert.text,
        "level": alert.level,
        "count": alert.count,
        "created_at": alert.created_at,
        "updated_at": alert.updated_at,
    }


def _alert_input(data: dict[str, Any]) -> dict[str, Any]:
    """The alert of a request body, checked against the limits, or a 400 naming the field."""
    alert_id = data.get("id")
    if not isinstance(alert_id, str) or not _ALERT_ID.fullmatch(alert_id):
        raise BadInput(f"Must match {ALERT_ID_PATTERN}.", "id")
    title = text_check(data.get("title"), "title", ALERT_TITLE_MAX)
    if not title:
        raise BadInput("Must not be empty.", "title")
    text = text_check(data.get("text", ""), "text", ALERT_TEXT_MAX)
    if len(text.encode("utf-8", "surrogatepass")) > ALERT_TEXT_MAX:
        raise BadInput(f"At most {ALERT_TEXT_MAX} bytes.", "text")
    level = data.get("level", AlertLevel.INFO.value)
    if not isinstance(level, str) or level not in AlertLevel.values:
        raise BadInput("Must be INFO, WARN or ERROR.", "level")
    count = data.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count < 2**31:
        raise BadInput("Must be an integer from 1.", "count")
    created = data.get("created_at")
    if created is None:
        created_at = datetime.now(timezone.utc)
    elif isinstance(created, (int, float)) and not isinstance(created, bool) and math.isfinite(created) and 0 <= created <= 2**35:
        created_at = datetime.fromtimestamp(created, timezone.utc)
    else:
        raise BadInput("Must be a Unix time in seconds.", "created_at")
    return {"alert_id": alert_id, "title": title, "text": text, "level": level, "count": count, "created_at": created_at}


class RunAlertsApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_alerts", summary="A run's alerts",
        description="What the run sent with `run.alert()`, newest first. Project rules of kind `agent_alert` deliver them.",
        parameters=RUN_PATH, responses=AlertListSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        alerts = selectors.alerts_of(run=self.get_run(run_id))
        return Response({"results": [alert_payload(a) for a in alerts]})

    @extend_schema(
        operation_id="run_alert_create", summary="Record an alert of a run",
        description="Idempotent by `id`: the same id again updates the alert's count (it never goes down).",
        parameters=RUN_PATH, request=AlertCreateSerializer, responses={200: AlertSerializer, 201: AlertSerializer},
    )
    def post(self, request: Request, org: str, project: str, run_id: str) -> Response:
        alert, created = services.alert_record(run=self.get_run(run_id), **_alert_input(body_object(request)))
        return Response(alert_payload(alert), status=201 if created else 200)
