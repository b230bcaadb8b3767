"""Errors as ``application/problem+json`` (RFC 9457).

Every error the API answers, from a missing credential to a field that does not
validate, is a problem document: ``type``, ``title``, ``status``, ``detail`` and
``instance`` (RFC 9457 §3.1), plus ``errors`` with one entry per field at fault
(``pointer`` is a JSON Pointer into the request body, RFC 9457 §3 "errors" example),
and ``required_scope`` for a missing scope. A ``type`` of ``about:blank`` means the
problem is no more than its HTTP status (RFC 9457 §4.2.1).
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "tag:travelportal,2026:problems/"


class ApiProblem(exceptions.APIException):
    """An error with its own problem ``type`` (a short slug below ``PROBLEM_BASE``)."""

    problem_type = "about:blank"
    title = ""

    def __init__(self, detail: str | None = None, *, auth_header: str = "", **extra) -> None:
        super().__init__(detail)
        self.auth_header = auth_header
        self.extra = extra


class InsufficientScope(ApiProblem):
    """RFC 6750 §3.1 ``insufficient_scope``: the credential lacks the operation's scope."""

    status_code = status.HTTP_403_FORBIDDEN
    problem_type = "insufficient-scope"
    title = "Insufficient scope"


class UnsupportedApiVersion(ApiProblem):
    status_code = status.HTTP_400_BAD_REQUEST
    problem_type = "unsupported-api-version"
    title = "Unsupported API version"


class IdempotencyKeyReused(ApiProblem):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    problem_type = "idempotency-key-reused"
    title = "Idempotency key reused"


class Conflict(ApiProblem):
    status_code = status.HTTP_409_CONFLICT
    problem_type = "conflict"
    title = "Conflict"


def _field_errors(detail, pointer: str = "") -> list[dict]:
    """Flatten DRF's nested error detail into one entry per message."""
    if isinstance(detail, dict):
        return [error for key, value in detail.items() for error in _field_errors(value, f"{pointer}/{key}")]
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [_entry(item, pointer) for item in detail]
        return [error for index, value in enumerate(detail) for error in _field_errors(value, f"{pointer}/{index}")]
    return [_entry(detail, pointer)]


def _entry(message, pointer: str) -> dict:
    field = pointer.lstrip("/").split("/")[0] if pointer else ""
    if field == "non_field_errors":
        field, pointer = "", ""
    return {
        "field": field or None,
        "pointer": f"#{pointer}" if pointer else "#",
        "detail": str(message),
        "code": getattr(message, "code", "invalid"),
    }


def problem(
    *, status_code: int, title: str, detail: str = "", instance: str = "", problem_type: str = "about:blank", **extra
) -> dict:
    body = {
        "type": problem_type if problem_type == "about:blank" else PROBLEM_BASE + problem_type,
        "title": title,
        "status": status_code,
        "detail": detail or title,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def _title(status_code: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status_code).phrase


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: every exception an API view raises becomes a problem."""
    # Imported here: rest_framework.views reads the API settings, which name this module.
    from rest_framework.views import set_rollback

    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    if isinstance(exc, exceptions.APIException):
        from travelportal.api.throttling import limit_unauthenticated

        exc = limit_unauthenticated(exc, request)
    else:
        # Answered as a problem too, so a client never parses an HTML page; logged with
        # its traceback because it is a bug.
        logger.exception("Unhandled error in %s", instance)
        set_rollback()
        body = problem(status_code=500, title=_title(500), detail="The server failed; it has been logged.")
        return Response(body, status=500, content_type=PROBLEM_CONTENT_TYPE)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    status_code = exc.status_code
    extra = dict(getattr(exc, "extra", {}))
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        detail = "; ".join(f"{e['field']}: {e['detail']}" if e["field"] else e["detail"] for e in errors)
        body = problem(
            status_code=status_code,
            title="Validation failed",
            detail=detail,
            instance=instance,
            problem_type="validation-error",
            errors=errors,
        )
    else:
        problem_type = getattr(exc, "problem_type", "about:blank")
        title = getattr(exc, "title", "") or _title(status_code)
        body = problem(
            status_code=status_code,
            title=title,
            detail=str(exc.detail),
            instance=instance,
            problem_type=problem_type,
            **extra,
        )
    set_rollback()
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any path below /api/ that names no resource."""
    body = problem(
        status_code=404, title=_title(404), detail="No API resource lives at this path.", instance=request.path
    )
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)
