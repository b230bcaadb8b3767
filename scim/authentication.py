"""Bearer authentication, scope checks, the body size limit and the provisioning log,
wrapped around every SCIM view (django-scim2's ``AUTH_CHECK_MIDDLEWARE`` hook).

django-scim2's own check trusts ``request.user`` and answers 401 without a body. SCIM
tokens belong to a company, not a person (RFC 7644 §2 leaves the scheme to the service
provider; RFC 6750 gives the Bearer one), so the company comes from the token and every
query the views run is scoped to it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from scim.errors import Forbidden, PayloadTooLarge, TooManyRequests, Unauthorized, error_response
from scim.outages import database_unavailable
from travelportal.client_addresses import client_address
from travelportal.companies.models import Company
from travelportal.companies.rate_limits import limit_for, take_anonymous_request, take_request
from travelportal.outages import DATABASE_OUTAGE_ERRORS
from travelportal.provisioning.services import record_scim_request
from travelportal.tokens.services import find_bearer_credential

logger = logging.getLogger(__name__)

SCOPE_BY_METHOD = {
    "GET": "scim:read",
    "HEAD": "scim:read",
    "OPTIONS": "scim:read",
    "POST": "scim:write",
    "PUT": "scim:write",
    "PATCH": "scim:write",
    "DELETE": "scim:delete",
}


@dataclass
class ScimContext:
    """What one SCIM request is about; views fill in the person and the operation."""

    company: Company
    scopes: frozenset[str]
    operation: str = ""
    # "User" or "Group": what the request is about, for the provisioning log.
    resource_type: str = "User"
    user_id: Any = None
    user_name: str = ""
    body: Any = None
    started: float = field(default_factory=time.perf_counter)


class ScimAuthMiddleware:
    """Wraps a SCIM view's ``dispatch`` (django-scim2 applies it as a decorator)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        started = time.perf_counter()
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        try:
            credential = find_bearer_credential(raw.strip()) if scheme.lower() == "bearer" else None
        except DATABASE_OUTAGE_ERRORS:
            # The token check runs before the view, outside django-scim2's error handling.
            return error_response(database_unavailable())
        if credential is None:
            return self._unauthenticated(request)
        request.scim = ScimContext(company=credential.company, scopes=credential.scopes, started=started)
        throttled = self._throttled(credential.company)
        if throttled is not None:
            # Not written to the provisioning log: a flood of refusals must not become a
            # flood of database writes; they are counted by the rate limiter instead.
            return throttled
        response = self._refusal(request, credential) or self.get_response(request, *args, **kwargs)
        self._record(request, response)
        return response

    def _unauthenticated(self, request: HttpRequest) -> HttpResponse:
        # Limited per client address: nobody's company to count it against.
        decision = take_anonymous_request(client_address(request))
        if not decision.allowed:
            return error_response(
                TooManyRequests(
                    "Too many requests without a valid bearer token from this address; "
                    f"retry after {decision.retry_after} s.",
                    retry_after=decision.retry_after,
                )
            )
        return error_response(Unauthorized("A valid bearer token is required."))

    def _throttled(self, company: Company) -> HttpResponse | None:
        decision = take_request(company)
        if decision.allowed:
            return None
        limit = limit_for(company)
        return error_response(
            TooManyRequests(
                f"This company's SCIM clients sent more than {limit.per_second} requests per second "
                f"(bursts of {limit.burst}); retry after {decision.retry_after} s.",
                retry_after=decision.retry_after,
            )
        )

    def _refusal(self, request: HttpRequest, credential) -> HttpResponse | None:
        if not credential.company.scim_enabled:
            return error_response(Forbidden("SCIM is switched off for this company; an admin can enable it."))
        # A search (POST /.search) only reads.
        needed = "scim:read" if request.path.endswith("/.search") else SCOPE_BY_METHOD.get(request.method)
        if needed and needed not in credential.scopes:
            return error_response(Forbidden(f"This token lacks the {needed} scope."))
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.SCIM_MAX_BODY_BYTES
        if length > limit:
            return error_response(PayloadTooLarge(f"The request body is larger than {limit} bytes."))
        return None

    def _record(self, request: HttpRequest, response: HttpResponse) -> None:
        if response.status_code == 503:
            # The database is unreachable (scim.outages): trying to log there would only
            # add a second failed connection to the answer's time.
            return
        context: ScimContext = request.scim
        scim_type = detail = ""
        if response.status_code >= 400 and response.content:
            try:
                error = json.loads(response.content)
                scim_type, detail = error.get("scimType", ""), error.get("detail", "")
            except (ValueError, AttributeError):
                detail = ""
        try:
            record_scim_request(
                company=context.company,
                operation=context.operation or _operation_for(request.method),
                resource_type=context.resource_type,
                method=request.method,
                path=request.get_full_path()[:500],
                status=response.status_code,
                user_id=context.user_id,
                user_name=context.user_name,
                duration_ms=int((time.perf_counter() - context.started) * 1000),
                scim_type=scim_type,
                detail=detail,
                request_body=context.body,
            )
        except DATABASE_OUTAGE_ERRORS as exc:
            logger.warning(
                "Could not record a SCIM request in the provisioning log, the database is unavailable: %s", exc
            )
        except Exception:
            # The log must never turn a done request into a failed one.
            logger.exception("Could not record a SCIM request in the provisioning log")


def _operation_for(method: str) -> str:
    return {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}.get(method, "read")
