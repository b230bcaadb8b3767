"""One id per request: the proxy's ``X-Request-ID`` when it looks like one, else a new
one; bound to the log context, returned in the response, carried into the Celery tasks
the request enqueues (django-structlog's publish hook copies the log context into the
task's headers) and stored on the provisioning log entry."""

from __future__ import annotations

import re
import uuid

import structlog

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"

# What proxies send (nginx's $request_id is 32 hex digits, others a UUID or a trace id
# with dots, colons or dashes). Anything else (too long, spaces, quotes, control
# characters) is replaced rather than written into every log line of the request.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,127}")


def request_id_from(header: str | None) -> str:
    """The proxy's id if it is sane, else a fresh one (32 hex digits)."""
    if header and _SANE.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request (or of the request that enqueued this task), "" outside one."""
    return structlog.contextvars.get_contextvars().get("request_id", "")
