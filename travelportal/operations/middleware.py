"""The one middleware operations adds to every request: a request id, one log line and
the request metrics.

It stays cheap on purpose (the SCIM path is benchmarked against a trivial WSGI app):
no database query, no file access besides the one log line, no session or user lookup;
what it reads of the request was already resolved by then (``resolver_match``, and
``request.scim`` set by the SCIM authentication for the company). Counters under
``PROMETHEUS_MULTIPROC_DIR`` are mmap'd writes. django-structlog's own request middleware
is not used: it logs two lines per request, resolves ``request.user`` (a session read)
and trusts any ``X-Request-ID``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

from travelportal.operations import metrics
from travelportal.request_ids import HEADER, META_KEY, request_id_from

logger = structlog.get_logger()
LOGGER_NAME = "travelportal.request"

UNMATCHED_ROUTE = "unmatched"


class RequestObservationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_id_from(request.META.get(META_KEY))
        request.request_id = request_id
        # A gunicorn thread serves request after request: nothing of the last one stays.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)

        response = self.get_response(request)

        seconds = time.perf_counter() - started
        response[HEADER] = request_id
        match = request.resolver_match
        route = match.view_name if match is not None else UNMATCHED_ROUTE
        status = response.status_code
        scim = getattr(request, "scim", None)
        company = scim.company.slug if scim is not None else ""
        metrics.REQUESTS.labels(route, status).inc()
        metrics.REQUEST_SECONDS.labels(route).observe(seconds)
        if match is not None and match.namespace == "scim":
            metrics.SCIM_OPERATIONS.labels(company, request.method, metrics.scim_outcome(status)).inc()
        if status == 429:
            metrics.RATE_LIMITED.labels(route, company).inc()
        logger.info(
            "request",
            logger=LOGGER_NAME,
            method=request.method,
            path=request.path,
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 1),
            **({"company": company} if company else {}),
        )
        return response


def forget_request(**kwargs) -> None:
    """``request_finished``: once the response is sent, after Django logged a 4xx or 5xx
    (outside the middleware, with the request id still bound), lines belong to no request."""
    structlog.contextvars.clear_contextvars()
