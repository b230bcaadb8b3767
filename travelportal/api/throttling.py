"""The per-company request rate limit on the REST API: the same bucket as SCIM
(travelportal.companies.rate_limits), so a company's integrations and its identity
provider share one allowance, and one company can't starve the others.

DRF checks throttles after authentication and answers ``Throttled`` through the API's
exception handler as a 429 problem with ``Retry-After``."""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle

from travelportal.api.authentication import ApiCaller
from travelportal.companies.rate_limits import take_request


class CompanyRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        caller = request.auth
        if not isinstance(caller, ApiCaller):
            # Anonymous requests are refused by authentication, not counted here.
            self.retry_after = None
            return True
        decision = take_request(caller.company)
        self.retry_after = decision.retry_after or None
        return decision.allowed

    def wait(self) -> float | None:
        return self.retry_after
