"""Health for probes and people, liveness, and the Prometheus scrape."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator, Sequence
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from health_check.base import HealthCheck
from health_check.views import HealthCheckView

from travelportal.client_addresses import client_address
from travelportal.operations import metrics
from travelportal.operations.health import portal_checks


class HealthView(HealthCheckView):
    """``/health/``: 200 when every check passes, 503 (not the library's 500, which reads
    as a bug in the portal) when one fails; JSON for ``Accept: application/json``, the
    library's status page for people."""

    def get_checks(self) -> Iterator[HealthCheck]:
        return portal_checks()

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        return response

    def render_to_response_json(self, status: int) -> JsonResponse:
        healthy = not any(result.error for result in self.results)
        return JsonResponse(
            {
                "status": "healthy" if healthy else "unhealthy",
                "checks": {
                    getattr(result.check, "name", repr(result.check)): {
                        "healthy": result.error is None,
                        "reason": result.error.message if result.error else None,
                        "seconds": round(result.time_taken, 4),
                    }
                    for result in self.results
                },
            },
            status=status,
        )


@never_cache
@require_GET
def liveness(request: HttpRequest) -> HttpResponse:
    """The process answers: nothing else is touched (no database, no Redis)."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


@never_cache
@require_GET
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    """The scrape: with METRICS_TOKEN as a bearer token, or from METRICS_ALLOWED_IPS.
    With neither set, metrics are off and the path does not exist."""
    token: str = settings.METRICS_TOKEN
    networks = settings.METRICS_ALLOWED_IPS
    if not token and not networks:
        raise Http404
    if not (_has_token(request, token) or _from_allowed_address(request, networks)):
        response = HttpResponse("A valid metrics bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)


def _has_token(request: HttpRequest, token: str) -> bool:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def _from_allowed_address(request: HttpRequest, networks: Sequence[IPv4Network | IPv6Network]) -> bool:
    # The client behind TRUSTED_PROXIES only: X-Forwarded-For from anyone else is whatever
    # the client wrote.
    try:
        address = ipaddress.ip_address(client_address(request) or "")
    except ValueError:
        return False
    return any(address in network for network in networks)
