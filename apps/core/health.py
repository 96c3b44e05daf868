"""Liveness and readiness, for load balancers and orchestrators.

`/api/v1/health`: the process answers and reaches its database.
`/api/v1/ready`: every dependency works (database, broker, storage) and the
periodic tasks ran lately (so a scheduler and a worker are alive).
Bodies name what failed, never where it lives (no hosts, ports or errors).
Probes without credentials are answered before host validation: a load
balancer checks by IP address.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

log = logging.getLogger(__name__)

HEALTH_PATH = "/api/v1/health"
READY_PATH = "/api/v1/ready"
# The periodic tasks run every CAIRN_DEAD_RUN_CHECK_INTERVAL seconds; three missed rounds is a dead scheduler.
SCHEDULER_MISSED_ROUNDS = 3


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        log.exception("health: database unreachable")
        return False
    return True


def _broker_ok() -> bool:
    try:
        with current_app.connection_for_write(connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception:
        log.exception("readiness: broker unreachable")
        return False
    return True


def _storage_ok() -> bool:
    try:
        default_storage.exists("readiness-probe")
    except Exception:
        log.exception("readiness: storage unreachable")
        return False
    return True


def _scheduler_age() -> float | None:
    from apps.core.models import SchedulerBeat

    beat = SchedulerBeat.objects.filter(name="core.resend_pending_tasks").first()
    return None if beat is None else (timezone.now() - beat.ran_at).total_seconds()


def health_status() -> tuple[dict[str, Any], int]:
    if _database_ok():
        return {"status": "ok"}, 200
    return {"status": "unavailable", "error": "database"}, 503


def readiness_status() -> tuple[dict[str, Any], int]:
    from apps.core.outbox import pending_tasks_summary
    from webapp.celery import DEAD_RUN_CHECK_INTERVAL

    checks = {"database": "ok" if _database_ok() else "unreachable"}
    checks["broker"] = "ok" if _broker_ok() else "unreachable"
    checks["storage"] = "ok" if _storage_ok() else "unreachable"
    body: dict[str, Any] = {"checks": checks}
    if checks["database"] == "ok":
        age = _scheduler_age()
        body["scheduler_age_s"] = None if age is None else round(age, 1)
        late = age is None or age > SCHEDULER_MISSED_ROUNDS * DEAD_RUN_CHECK_INTERVAL + 30
        checks["scheduler"] = "never ran" if age is None else ("late" if late else "ok")
        body["tasks"] = pending_tasks_summary()
    ready = all(value == "ok" for value in checks.values())
    body["status"] = "ready" if ready else "unready"
    return body, 200 if ready else 503


class ProbeMiddleware:
    """Answers credential-less probes before Django validates the Host header.

    First in MIDDLEWARE. A probe carrying a key or a session goes the normal
    way, so a revoked key still gets 401 and a forged host still 400 there.
    """

    PROBES: dict[str, Callable[[], tuple[dict[str, Any], int]]] = {
        HEALTH_PATH: health_status, READY_PATH: readiness_status,
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from csp.middleware import CSPMiddleware

        self.get_response = get_response
        self.csp = CSPMiddleware(get_response)  # the same policy header every answer has

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD") and not request.META.get("HTTP_AUTHORIZATION") \
                and not request.COOKIES:
            body, status = probe()
            response = JsonResponse(body, status=status)
            response["X-Content-Type-Options"] = "nosniff"
            self.csp.process_request(request)
            return self.csp.process_response(request, response)  # type: ignore[return-value]
        return self.get_response(request)


_CHECK = serializers.ChoiceField(choices=["ok", "unreachable", "late", "never ran"])


_READINESS = inline_serializer("Readiness", {
    "status": serializers.ChoiceField(choices=["ready", "unready"]),
    "checks": inline_serializer("ReadinessChecks", {
        "database": _CHECK, "broker": _CHECK, "storage": _CHECK, "scheduler": _CHECK,
    }),
    "scheduler_age_s": serializers.FloatField(allow_null=True, required=False),
    "tasks": inline_serializer("PendingTasks", {
        "waiting": serializers.IntegerField(), "failed": serializers.IntegerField(),
    }, required=False),
})


class HealthApi(APIView):
    """Anonymous callers (load balancers) get the answer; a wrong or revoked key
    gets 401, as everywhere."""

    @extend_schema(
        operation_id="health", summary="Whether the server can work",
        description="200 once the server reaches its database, else 503: for load balancers' liveness checks.",
        responses={
            200: inline_serializer("Health", {"status": serializers.ChoiceField(choices=["ok"])}),
            503: inline_serializer("Unhealthy", {
                "status": serializers.ChoiceField(choices=["unavailable"]),
                "error": serializers.ChoiceField(choices=["database"]),
            }),
        },
    )
    def get(self, request: Request) -> Response:
        body, status = health_status()
        return Response(body, status=status)


class ReadyApi(APIView):
    @extend_schema(
        operation_id="ready", summary="Whether every dependency works",
        description=(
            "200 when the database, the task broker and file storage answer and the periodic tasks ran within "
            "three rounds (a scheduler and a worker are alive); else 503, naming the check that failed. "
            "`tasks`: work queued and not yet done, and work that failed for good."
        ),
        responses={200: _READINESS, 503: _READINESS},
    )
    def get(self, request: Request) -> Response:
        body, status = readiness_status()
        return Response(body, status=status)
