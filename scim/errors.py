"""SCIM error answers (RFC 7644 §3.12) built on django-scim2's exception classes.

django-scim2 answers 401, 404 and 405 without a body and its 404 lacks ``scimType``
handling for our cases; every error the portal raises is one of these, so every error
answer carries ``schemas``, ``status`` (a string, as RFC 7644's examples show),
``scimType`` where one applies, and a ``detail`` a person can act on.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django_scim import exceptions
from django_scim.constants import SCIM_CONTENT_TYPE

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(exceptions.SCIMException):
    """An error answer; ``status`` and ``scim_type`` default per subclass. ``retry_after``
    (seconds) becomes a ``Retry-After`` header (RFC 9110 §10.2.3) on 429 and 503."""

    retry_after: int | None = None

    def __init__(
        self, detail: str, *, status: int | None = None, scim_type: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(detail, status=status, scim_type=scim_type)
        if retry_after is not None:
            self.retry_after = retry_after

    def to_dict(self) -> dict:
        doc = {"schemas": [ERROR_SCHEMA], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            doc["scimType"] = self.scim_type
        return doc


class BadRequest(ScimError):
    status = 400


class InvalidValue(BadRequest):
    scim_type = "invalidValue"


class InvalidSyntax(BadRequest):
    scim_type = "invalidSyntax"


class InvalidFilter(BadRequest):
    scim_type = "invalidFilter"


class InvalidPath(BadRequest):
    scim_type = "invalidPath"


class NoTarget(BadRequest):
    scim_type = "noTarget"


class Mutability(BadRequest):
    scim_type = "mutability"


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"


class Unauthorized(ScimError):
    status = 401


class Forbidden(ScimError):
    status = 403


class NotFound(ScimError):
    status = 404


class MethodNotAllowed(ScimError):
    status = 405


class PayloadTooLarge(ScimError):
    status = 413


class TooManyRequests(ScimError):
    """429 (RFC 6585 §4) with the RFC 7644 §3.12 body: the company's request rate limit is
    spent for now; ``Retry-After`` says when its bucket has a request again."""

    status = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class NotImplementedByPortal(ScimError):
    status = 501


class ServiceUnavailable(ScimError):
    """HTTP's 503 (RFC 9110 §15.6.4) with the RFC 7644 §3.12 error body: the portal cannot
    answer for now (its database unreachable or restarting) and ``Retry-After`` says when
    to try again; a client retries it instead of treating it as a failed operation."""

    status = 503


def error_response(error: exceptions.SCIMException) -> HttpResponse:
    """The HTTP answer for any django-scim2 or portal SCIM exception."""
    if isinstance(error, ScimError):
        doc = error.to_dict()
    else:
        # django-scim2's own exceptions use an integer status; normalise the shape.
        doc = {"schemas": [ERROR_SCHEMA], "status": str(error.status), "detail": error.detail}
        if error.scim_type:
            doc["scimType"] = error.scim_type
    response = HttpResponse(json.dumps(doc), content_type=SCIM_CONTENT_TYPE, status=int(error.status))
    if int(error.status) == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(int(retry_after))
    return response
