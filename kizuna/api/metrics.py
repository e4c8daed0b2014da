"""Prometheus metrics (`GET /metrics`): requests by route and status, their latency, and,
read at each scrape, the task queues' depth and failures, the outbox's backlog and lag, and
the scheduled jobs' last outcomes.

Under gunicorn each worker counts its own requests; with PROMETHEUS_MULTIPROC_DIR set (a
folder emptied before the server starts, as `scripts/prod.sh` does) the counts of every
worker are added up at each scrape, as prometheus_client's multiprocess mode does."""

import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.tasks import task_backends
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kizuna.core.clock import now
from kizuna.core.models import JobRun, OutboxEvent
from kizuna.core.schedule import JOBS
from kizuna.core.tasks_redis import RedisTaskBackend

logger = logging.getLogger("kizuna.request")

REQUESTS = Counter(
    "kizuna_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "kizuna_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered (`/api/v1/orders/{external_id}`), never the raw path,
    so that the number of series stays small."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return "unmatched"
    route = "/" + str(match.route)
    return route.replace("<", "{").replace(">", "}")


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_of(request)
        method = request.method or "-"
        REQUESTS.labels(method, route, str(response.status_code)).inc()
        LATENCY.labels(method, route).observe(elapsed)
        if settings.KIZUNA_ACCESS_LOG:
            logger.info(
                "%s %s %s",
                method,
                request.path,
                response.status_code,
                extra={
                    "method": method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
        return response


def task_counts() -> dict[str, dict[str, int]]:
    """Per queue: waiting, running, scheduled and failed tasks, whatever the backend."""
    backend = task_backends["default"]
    if isinstance(backend, RedisTaskBackend):
        return backend.stats()
    from django_tasks_db.models import DBTaskResult

    states = {"READY": "queued", "RUNNING": "started", "FAILED": "failed"}
    counts = {
        queue: {"queued": 0, "started": 0, "scheduled": 0, "failed": 0} for queue in backend.queues
    }
    rows = (
        DBTaskResult.objects.filter(status__in=list(states))
        .values_list("queue_name", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for queue, status, n in rows:
        counts.setdefault(queue, {"queued": 0, "started": 0, "scheduled": 0, "failed": 0})
        counts[queue][states[status]] = n
    return counts


class StateCollector(Collector):
    """What is read from the database and the broker at each scrape."""

    def collect(self) -> Iterator[Any]:
        pending = OutboxEvent.objects.filter(dispatched_at__isnull=True)
        backlog = GaugeMetricFamily(
            "kizuna_outbox_pending_events", "Outbox events not dispatched yet"
        )
        backlog.add_metric([], pending.count())
        yield backlog
        oldest = pending.aggregate(oldest=Min("occurred_at"))["oldest"]
        lag = GaugeMetricFamily(
            "kizuna_outbox_lag_seconds", "Age of the oldest outbox event not dispatched yet"
        )
        lag.add_metric([], (now() - oldest).total_seconds() if oldest else 0.0)
        yield lag
        depth = GaugeMetricFamily(
            "kizuna_task_queue_depth", "Tasks by queue and state", labels=["queue", "state"]
        )
        failures = GaugeMetricFamily(
            "kizuna_task_failures", "Failed tasks kept by the backend", labels=["queue"]
        )
        for queue, counts in task_counts().items():
            for state in ("queued", "started", "scheduled"):
                depth.add_metric([queue, state], counts[state])
            failures.add_metric([queue], counts["failed"])
        yield depth
        yield failures
        last = GaugeMetricFamily(
            "kizuna_job_last_run_succeeded",
            "1 when a scheduled job's last run succeeded, 0 when it failed",
            labels=["job"],
        )
        finished = GaugeMetricFamily(
            "kizuna_job_last_run_timestamp_seconds",
            "When a scheduled job's last run started",
            labels=["job"],
        )
        for name in sorted(JOBS):
            run = JobRun.objects.filter(job=name).order_by("-started_at").first()
            if run is not None and run.outcome != JobRun.Outcome.RUNNING:
                last.add_metric([name], 1.0 if run.outcome == JobRun.Outcome.SUCCEEDED else 0.0)
                finished.add_metric([name], run.started_at.timestamp())
        yield last
        yield finished


def render() -> bytes:
    registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    state = CollectorRegistry()
    state.register(StateCollector())
    return generate_latest(registry) + generate_latest(state)


def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.KIZUNA_METRICS_TOKEN
    if token and request.headers.get("Authorization", "") != f"Bearer {token}":
        return HttpResponse("Send the metrics token as 'Authorization: Bearer ...'.\n", status=401)
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
