"""The request rate limits on the REST API (travelportal.companies.rate_limits): each
credential (API key or OAuth token) draws from a bucket of its own and from its company's,
above the share reserved for the company's SCIM provisioning, so an integration can
neither starve the company's identity provider nor its other integrations, and one
company can't starve the others. Requests refused for want of a valid credential are
limited per client address instead (``limit_unauthenticated``).

DRF checks throttles after authentication and answers ``Throttled`` through the API's
exception handler as a 429 problem with ``Retry-After``."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from travelportal.api.authentication import ApiCaller
from travelportal.client_addresses import client_address
from travelportal.companies.rate_limits import take_anonymous_request, take_api_request


class CompanyRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        caller = request.auth
        if not isinstance(caller, ApiCaller):
            # Anonymous requests are refused by authentication and limited per client
            # address there (limit_unauthenticated), not counted here.
            self.retry_after = None
            return True
        credential = f"{caller.credential._meta.model_name}-{caller.credential.pk}"
        decision = take_api_request(caller.company, credential=credential)
        self.retry_after = decision.retry_after or None
        return decision.allowed

    def wait(self) -> float | None:
        return self.retry_after


def limit_unauthenticated(exc: exceptions.APIException, request) -> exceptions.APIException:
    """A request refused for no or a bad credential (401), or ``Throttled`` once its client
    address has sent too many of them."""
    if request is None or not isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return exc
    decision = take_anonymous_request(client_address(request))
    if decision.allowed:
        return exc
    return exceptions.Throttled(
        wait=decision.retry_after,
        detail=f"Too many requests without a valid credential from this address; retry after {decision.retry_after} s.",
    )
