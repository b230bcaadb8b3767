"""Prometheus metrics of the portal, exposed at ``/metrics`` (``views.metrics``).

prometheus_client rather than django-prometheus: django-prometheus' middleware pair
records a dozen series per request (latency by view and method, body and response
sizes, ...) and its database and cache metrics need its own backend classes in
DATABASES and CACHES; what operators need here is a few series with labels of our own
(the resolved route, the SCIM company and outcome), recorded by one middleware whose
cost is a handful of counter increments (``middleware``).

Under gunicorn every worker process counts for itself; with ``PROMETHEUS_MULTIPROC_DIR``
set (``make up`` sets it for the web, worker and beat processes) prometheus_client keeps
each process's values in mmap'd files in that directory, and a scrape adds them up, so
the numbers do not depend on which worker answered. The directory must be emptied
before the processes start (``make up`` does) and be shared by processes on one host:
Celery's task metrics reach ``/metrics`` only from a worker on the web's host.

Metrics that domain code reports belong to the package that reports them and are
registered there (``approvals.metrics``: chain rebuild times, and the outbox's depth and
age, computed at scrape time by ``ChainOutboxCollector``); this module exposes them with
the request and task metrics it records itself.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from approvals.metrics import ChainOutboxCollector

REQUESTS = Counter(
    "travelportal_http_requests",
    "HTTP requests answered, by resolved route (URL name) and status code.",
    ["route", "status"],
)
REQUEST_SECONDS = Histogram(
    "travelportal_http_request_duration_seconds",
    "Time to answer an HTTP request, by resolved route (URL name).",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SCIM_OPERATIONS = Counter(
    "travelportal_scim_operations",
    "SCIM requests by company (slug; empty when the token was not accepted), HTTP method and outcome.",
    ["company", "method", "outcome"],
)
RATE_LIMITED = Counter(
    "travelportal_rate_limited_requests",
    "Requests refused with 429 Too Many Requests, by route and company (slug, when known).",
    ["route", "company"],
)
CELERY_TASKS = Counter(
    "travelportal_celery_tasks",
    "Celery tasks run, by task name and final state (SUCCESS, FAILURE, RETRY, ...).",
    ["task", "state"],
)
CELERY_TASK_SECONDS = Histogram(
    "travelportal_celery_task_duration_seconds",
    "Time a Celery task ran, by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
# SCIM outcomes by status code; any other 4xx and 5xx fall into the two catch-alls.
_SCIM_OUTCOMES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    429: "throttled",
    503: "unavailable",
}


def scim_outcome(status: int) -> str:
    if status < 400:
        return "success"
    return _SCIM_OUTCOMES.get(status) or ("client_error" if status < 500 else "server_error")


def exposition() -> tuple[bytes, str]:
    """The text a scrape answers, and its content type."""
    registry = CollectorRegistry()
    registry.register(ChainOutboxCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    # One process (runserver, tests): this process's own registry, which also holds the
    # process and garbage-collector metrics prometheus_client registers by default.
    return generate_latest(REGISTRY) + generate_latest(registry), CONTENT_TYPE_LATEST
