"""What an operator watches: request ids in every log line, and Prometheus metrics.

Request ids: a caller's `X-Request-ID` (when it is a short token) or a new one,
kept for the request's logs and sent back on the response.

Metrics (`GET /metrics`, only when CAIRN_METRICS_TOKEN is set, with that bearer
token): requests by route and status and their latency, rows ingested, tasks
run and failed and their duration, and, read when scraped, queue depths, the
outbox and other backlogs apps register. Several processes of one host (gunicorn
workers, Celery workers) share PROMETHEUS_MULTIPROC_DIR, which `cairn-server`
sets, so one scrape sees them all.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

request_id: ContextVar[str] = ContextVar("request_id", default="-")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

HTTP_REQUESTS = Counter("cairn_http_requests", "HTTP requests answered", ["route", "method", "status"])
HTTP_LATENCY = Histogram(
    "cairn_http_request_duration_seconds", "Time to answer a request", ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
INGEST_ROWS = Counter("cairn_ingest_rows", "Rows stored by the ingest API", ["stream"])
TASKS = Counter("cairn_tasks", "Celery tasks run", ["task", "state"])
TASK_DURATION = Histogram(
    "cairn_task_duration_seconds", "Time a Celery task ran", ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900),
)
RECONCILED = Counter("cairn_reconciled", "Missed work found (and done) by reconciliation", ["kind"])

# Read at each scrape: name -> (help, function returning {label value: number}).
_BACKLOGS: dict[str, tuple[str, str, Callable[[], dict[str, float]]]] = {}


def backlog_register(name: str, documentation: str, label: str, read: Callable[[], dict[str, float]]) -> None:
    """A gauge read when scraped (a queue's depth, rows waiting): apps register theirs in `ready()`."""
    _BACKLOGS[name] = (documentation, label, read)


class _BacklogCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        for name, (documentation, label, read) in _BACKLOGS.items():
            family = GaugeMetricFamily(name, documentation, labels=[label])
            try:
                values = read()
            except Exception:  # a dependency that is down must not fail the scrape
                logging.getLogger(__name__).warning("metrics: %s unreadable", name, exc_info=True)
                continue
            for value_label, value in values.items():
                family.add_metric([value_label], value)
            yield family


def metrics_text() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)  # every process of this host, web and worker
        text = generate_latest(processes)
    else:
        text = generate_latest()  # this process alone
    backlogs = CollectorRegistry()
    backlogs.register(_BacklogCollector())
    return text + generate_latest(backlogs)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape. 404 unless CAIRN_METRICS_TOKEN is set and sent as a bearer token."""
    token = settings.CAIRN_METRICS_TOKEN
    sent = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(sent.encode(), token.encode()):
        raise Http404
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every log record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def request_id_clear(**kwargs: object) -> None:
    """On `request_finished`: log lines after the request (in this thread) carry no stale id."""
    request_id.set("-")


class ObservabilityMiddleware:
    """Second in MIDDLEWARE (after the probes): each request gets its id and is counted and timed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        # Kept until the response is closed (request_id_clear): Django logs a 4xx or 5xx after the middleware.
        request_id.set(rid)
        start = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        # The route pattern, never the path: one series per endpoint, whatever ids users send.
        route = match.route if match is not None else "unmatched"
        HTTP_REQUESTS.labels(route=route, method=request.method or "", status=str(response.status_code)).inc()
        HTTP_LATENCY.labels(route=route).observe(time.perf_counter() - start)
        response["X-Request-ID"] = rid
        return response
