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

The outbox's depth and age are not counted as they change but computed at scrape time
from the table (``ChainOutboxCollector``), so they are right whichever process wrote.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

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
CHAIN_REBUILD_SECONDS = Histogram(
    "travelportal_chain_rebuild_duration_seconds",
    "Time one rebuild of a company's approval chains took, by scope (people: the changed people; full).",
    ["scope"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
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


def observe_chain_rebuild(*, seconds: float, full: bool) -> None:
    CHAIN_REBUILD_SECONDS.labels("full" if full else "people").observe(seconds)


class ChainOutboxCollector(Collector):
    """The approval rebuild outbox's depth and the age of its oldest change, read at
    scrape time (one aggregate query over a table that is normally near empty)."""

    def collect(self) -> Iterator[Metric]:
        from approvals.services.chain_rebuilds import outbox_state

        outbox = outbox_state()
        age = (timezone.now() - outbox.oldest).total_seconds() if outbox.oldest else 0.0
        yield GaugeMetricFamily(
            "travelportal_chain_outbox_waiting_changes",
            "People changes waiting in the approval rebuild outbox.",
            value=outbox.waiting,
        )
        yield GaugeMetricFamily(
            "travelportal_chain_outbox_oldest_age_seconds",
            "Age of the oldest change waiting in the approval rebuild outbox (0 when empty).",
            value=age,
        )


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
