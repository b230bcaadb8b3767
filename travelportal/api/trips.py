"""Trips as the API reads them: the pending decisions a caller sees.

A trip's modification time (the API's ``modified``) is its ``modified_at`` column, the
time of its latest event: every change to a trip writes one, and a trigger on events
moves the column (approvals migration 0004), so ``modified_gte``/``modified_lt`` filter
on an indexed column. Cursor syncs walk the trip's ``change_seq`` instead
(``travelportal.api.pagination``).
"""

from __future__ import annotations

from django.db.models import QuerySet

from approvals.models import Trip
from travelportal.api.authentication import ApiCaller


def pending_decisions(caller: ApiCaller) -> QuerySet[Trip]:
    """The approvals a caller sees: a person's own queue (trips waiting for them) for a
    token that person authorized; every pending trip of the company for an API key or a
    client-credentials token, which act for the company."""
    pending = Trip.objects.for_company(caller.company).pending()
    if caller.person is not None:
        pending = pending.filter(current_approvers=caller.person)
    return pending
