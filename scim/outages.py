"""SCIM answers while the database is unreachable or restarting: 503 with an RFC 7644
§3.12 error body and ``Retry-After``, never django-scim2's 500 or Django's HTML page.

Two places meet the outage: the token check (``ScimAuthMiddleware``, which runs before
the view) and the view itself. Which exceptions mean an outage is named once, in
``travelportal.outages``.
"""

from __future__ import annotations

from django.views import View

from scim.errors import ServiceUnavailable, error_response
from travelportal.outages import DATABASE_OUTAGE_ERRORS, RETRY_AFTER_SECONDS


def database_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        f"The service is temporarily unavailable (its database cannot be reached); "
        f"retry after {RETRY_AFTER_SECONDS} seconds.",
        retry_after=RETRY_AFTER_SECONDS,
    )


class DatabaseOutageAnswer(View):
    """Answers 503 for a database outage inside a SCIM view.

    django-scim2's ``SCIMView.dispatch`` turns every exception of the view into a SCIM 500
    inside its own ``try`` around ``super(SCIMView, self).dispatch``. Listed after SCIMView
    in ``PortalScimView``'s bases, this class is what that ``super()`` call reaches
    (the method resolution order puts it between SCIMView and Django's View), so the
    outage is answered here, inside that ``try``, before it can become a 500."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except DATABASE_OUTAGE_ERRORS:
            return error_response(database_unavailable())
