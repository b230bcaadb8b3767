"""Trips as the API reads them: when each was last modified, and the pending decisions a
caller sees.

A trip's modification time is its latest event (submitted, a step approved, decided,
moved to new approvers): every change to a trip writes one, so the time is derived
rather than stored, and trips need no column of their own for cursor syncs.
"""

from __future__ import annotations

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from approvals.models import Trip, TripEvent
from travelportal.api.authentication import ApiCaller


def with_modified(trips: QuerySet[Trip]) -> QuerySet[Trip]:
    """``trips`` annotated with ``modified``, the time of their latest event."""
    latest = TripEvent.objects.filter(trip=OuterRef("pk")).order_by("-created_at", "-id").values("created_at")[:1]
    return trips.annotate(modified=Coalesce(Subquery(latest), F("created_at")))


def pending_decisions(caller: ApiCaller) -> QuerySet[Trip]:
    """The approvals a caller sees: a person's own queue (trips waiting for them) for a
    token that person authorized; every pending trip of the company for an API key or a
    client-credentials token, which act for the company."""
    pending = Trip.objects.for_company(caller.company).pending()
    if caller.person is not None:
        pending = pending.filter(current_approvers=caller.person)
    return pending
