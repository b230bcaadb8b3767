"""What the portal answers while its database is unreachable or restarting: a plain 503
page with ``Retry-After`` instead of Django's "Server Error (500)".

Which exceptions mean an outage is named once here (``DATABASE_OUTAGE_ERRORS``); the SCIM
views answer the same outage with a SCIM error body (``scim.outages``). Nothing here
touches the database: the page is rendered without a request, so no context processor,
session or user lookup runs while it is built.

Django reconnects on the next request by itself (``CONN_HEALTH_CHECKS`` makes it drop a
persistent connection the restart killed, see ``travelportal.env.env_database``), so
pages work again as soon as the database is back, without a restart of the portal.
"""

from __future__ import annotations

import logging
import sys

from django import db
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

from travelportal.content_policy import style_hashes

try:
    import psycopg
except ImportError:  # the embedded default runs on SQLite without psycopg
    psycopg = None

logger = logging.getLogger(__name__)

# Django wraps the driver's errors in its own classes; psycopg's are listed too for the
# few calls (closing a connection the server dropped) that can raise them unwrapped.
# OperationalError also covers a statement cancelled or a deadlock, which a retry
# resolves as well, so the same honest "try again shortly" answer fits.
DATABASE_OUTAGE_ERRORS: tuple[type[Exception], ...] = (db.OperationalError, db.InterfaceError) + (
    (psycopg.OperationalError, psycopg.InterfaceError) if psycopg else ()
)

# A PostgreSQL restart or a fail-over takes a few seconds.
RETRY_AFTER_SECONDS = 5


def is_database_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_OUTAGE_ERRORS)


def outage_page() -> HttpResponse:
    """The plain 503 page (templates/503.html), rendered without a request."""
    html = render_to_string("503.html")
    response = HttpResponse(html, status=503)
    # Its inline <style>, allowed by hash on this response only (django-csp's csp_update).
    response._csp_update = {"style-src": style_hashes(html)}
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseOutageMiddleware:
    """Answers the 503 page when a view, or the template it renders, meets a database
    outage (a session read, ``request.user``, a context processor, the view's queries).

    Django turns an exception into a response at every middleware layer
    (``convert_exception_to_response``), so no middleware can catch one raised deeper
    with ``try``/``except`` around ``get_response``: ``process_exception`` is the hook that
    sees them. It is first in MIDDLEWARE because Django calls ``process_exception`` hooks
    from the innermost out, so every other middleware's own handling (django-axes) comes
    first and this one is the last word. An outage met by another middleware itself (a
    session saved on the way out) reaches ``server_error``, the 500 handler, instead."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_outage(exception):
            return None
        logger.warning("Database unavailable, answered 503 for %s %s: %s", request.method, request.path, exception)
        return outage_page()


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the 503 page when the uncaught exception (Django calls this inside
    its ``except`` block) is a database outage, Django's own 500 answer otherwise."""
    if is_database_outage(sys.exc_info()[1]):
        return outage_page()
    return defaults.server_error(request)
