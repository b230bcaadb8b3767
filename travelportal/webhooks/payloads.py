"""What a delivery's body says: the envelope every event shares and the ``data`` of each.

The envelope follows Standard Webhooks' payload structure: ``{"id", "type",
"timestamp", "data"}``, where ``id`` is the delivery's id (also sent as ``webhook-id``).
Objects are shaped like the API's (TravelPerk's field names where it has them): a
person is ``{"id", "first_name", "last_name", "email"}`` wherever they are referred to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder

from approvals.models import Trip, TripEvent
from travelportal.companies.models import CostCentre, User


def envelope(*, message_id: UUID, event: str, data: Mapping, at: datetime) -> str:
    """The body text of a delivery: compact JSON, UTF-8 as is (signed as those bytes)."""
    document = {"id": str(message_id), "type": event, "timestamp": at, "data": data}
    return json.dumps(document, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def person_ref(person: User | None) -> dict | None:
    if person is None:
        return None
    return {
        "id": str(person.pk),
        "first_name": person.given_name,
        "last_name": person.family_name,
        "email": person.work_email,
    }


def user_data(user: User) -> dict:
    return {
        **person_ref(user),
        "user_name": user.username,
        "external_id": user.external_id,
        "employee_number": user.employee_number,
        "role": user.role,
        "active": user.is_active,
        "deleted": user.deleted_at is not None,
    }


def cost_center_data(cost_centre: CostCentre) -> dict:
    return {"id": cost_centre.pk, "name": cost_centre.name, "archived": cost_centre.is_archived}


def trip_data(trip: Trip) -> dict:
    return {
        "id": str(trip.pk),
        "status": trip.status,
        "traveler_id": str(trip.traveller_id),
        "requested_by_id": str(trip.requested_by_id),
        "destination": trip.destination,
        "start_date": trip.start_date,
        "end_date": trip.end_date,
        "purpose": trip.purpose,
        "estimated_cost": trip.estimated_cost,
        "currency": trip.currency,
        "flight_cabin": trip.flight_cabin or None,
        "hotel_price_per_night": trip.hotel_price_per_night,
        "in_policy": trip.in_policy,
        "policy_notes": trip.policy_notes,
        "current_step": trip.current_step,
        "created_at": trip.created_at,
        "decided_at": trip.decided_at,
    }


def approval_requested_data(trip: Trip, approvers: Iterable[User]) -> dict:
    return {"trip": trip_data(trip), "step": trip.current_step, "approvers": [person_ref(u) for u in approvers]}


def approval_decided_data(event: TripEvent) -> dict:
    approved = event.kind in (TripEvent.Kind.STEP_APPROVED, TripEvent.Kind.APPROVED)
    return {
        "trip": trip_data(event.trip),
        "step": event.step,
        "decision": "approved" if approved else "declined",
        # False while the trip goes on to its next step.
        "final": event.kind != TripEvent.Kind.STEP_APPROVED,
        "approver": person_ref(event.actor),
        "comment": event.comment,
        "decided_at": event.created_at,
    }
