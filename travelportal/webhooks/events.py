"""The events a webhook subscription can listen to: every name, its topic and what it
means, in one table that the API (``GET /api/webhooks/events``), validation of a
subscription's ``events`` and ``emit_event`` all read.

Pure Python, so any module (settings, migrations, tests) can import it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str
    topic: str
    description: str


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("trip.created", "trips", "A trip was requested (approved at once when no approval applies)."),
    EventType("trip.updated", "trips", "A trip changed: a step was approved, it was decided or rerouted."),
    EventType("approval.requested", "approvals", "A trip waits for the approvers of its current step."),
    EventType("approval.decided", "approvals", "An approver approved a step of a trip, or approved or declined it."),
    EventType("user.provisioned", "users", "A person joined the company (SCIM, Company Settings or a command)."),
    EventType("user.deactivated", "users", "A person was deactivated or deleted and can no longer travel."),
    EventType("cost_center.created", "cost_centers", "A cost centre was created."),
    EventType("cost_center.updated", "cost_centers", "A cost centre was renamed, archived or restored."),
)

EVENTS: dict[str, EventType] = {event.name: event for event in EVENT_TYPES}

# Sent by ``POST /api/webhooks/{id}/test`` only; nobody subscribes to it.
TEST_EVENT = "webhook.test"
