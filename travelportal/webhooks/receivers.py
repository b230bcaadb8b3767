"""Where the portal's events come from: receivers of the signals the domain sends
(``travelportal.companies.signals``) and of Django's ``post_save`` for the rows that
record them, so no domain module needs to know webhooks exist.

* ``user.provisioned``: a person of a company is created. ``user.deactivated``: a saved
  person's ``is_active`` became false, or an active person was deleted (``deleted_at``
  set). The people domain saves only the columns that changed
  (``travelportal.companies.people``), so ``update_fields`` says what changed; a save of
  every column (no ``update_fields``) is no deactivation.
* ``trip.created`` / ``trip.updated``: a trip is created / saved again.
* ``approval.decided``: a trip event records a step approved, or the trip approved or
  declined by an approver. ``approval.requested``: a trip event that leaves the trip
  pending at a step (submitted, a step approved, approvers reassigned). The event is
  written before the step's approvers are stored on the trip, except on reassignment,
  so the approvers are the ones the approvals code computes for that step
  (``approvals.services.routing.current_step_approvers``, which it uses itself).
* ``cost_center.created`` / ``cost_center.updated``: a cost centre is created (Company
  Settings, the REST API, a catalogue import, SCIM naming an unknown one) / changed
  (renamed, archived or restored, one or in bulk, or its members replaced), as every
  writer of the catalogue reports it (``report_catalogue_changes``).

Each receiver hands ``emit_event`` a payload function, so writes of a company without
subscriptions cost one read.
"""

from __future__ import annotations

from django.db.models.signals import post_save

from approvals.models import Trip, TripEvent
from approvals.services.routing import company_admins, current_step_approvers
from travelportal.companies.models import CostCentre, User
from travelportal.companies.signals import catalogue_changed
from travelportal.webhooks import payloads
from travelportal.webhooks.outbox import emit_event, emit_events

_DECISIONS = frozenset({TripEvent.Kind.STEP_APPROVED, TripEvent.Kind.APPROVED, TripEvent.Kind.DECLINED})
_WAITING = frozenset({TripEvent.Kind.SUBMITTED, TripEvent.Kind.STEP_APPROVED, TripEvent.Kind.REASSIGNED})


def connect() -> None:
    """Connected once, from ``WebhooksConfig.ready()``."""
    post_save.connect(user_saved, sender=User, dispatch_uid="webhooks.user_saved")
    post_save.connect(trip_saved, sender=Trip, dispatch_uid="webhooks.trip_saved")
    post_save.connect(trip_event_saved, sender=TripEvent, dispatch_uid="webhooks.trip_event_saved")
    catalogue_changed.connect(catalogue_entries_changed, dispatch_uid="webhooks.catalogue_entries_changed")


def user_saved(sender, *, instance: User, created: bool, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw or instance.company_id is None:
        return
    if created:
        emit_event(company=instance.company_id, event="user.provisioned", payload=lambda: payloads.user_data(instance))
        return
    changed = set(update_fields or ())
    became_inactive = "is_active" in changed and not instance.is_active
    deleted_while_active = "deleted_at" in changed and instance.deleted_at is not None and instance.is_active
    if became_inactive or deleted_while_active:
        emit_event(company=instance.company_id, event="user.deactivated", payload=lambda: payloads.user_data(instance))


def trip_saved(sender, *, instance: Trip, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    event = "trip.created" if created else "trip.updated"
    emit_event(company=instance.company_id, event=event, payload=lambda: payloads.trip_data(instance))


def trip_event_saved(sender, *, instance: TripEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if raw or not created:
        return
    trip = instance.trip
    if instance.kind in _DECISIONS:
        emit_event(
            company=trip.company_id, event="approval.decided", payload=lambda: payloads.approval_decided_data(instance)
        )
    if instance.kind in _WAITING and trip.is_pending:
        emit_event(
            company=trip.company_id,
            event="approval.requested",
            payload=lambda: payloads.approval_requested_data(trip, _waiting_for(instance)),
        )


def _waiting_for(event: TripEvent) -> list[User]:
    trip = event.trip
    if event.kind == TripEvent.Kind.REASSIGNED:
        return sorted(trip.current_approvers.all(), key=lambda u: (u.family_name, u.given_name, u.username))
    return current_step_approvers(trip=trip, process=trip.process, admins=company_admins(trip.company))


def catalogue_entries_changed(sender, *, company_id: int, model: type, created: list, changed: list, **kwargs) -> None:
    if model is not CostCentre:
        return
    for event, ids in (("cost_center.created", created), ("cost_center.updated", changed)):
        if ids:
            # One read of the subscriptions per event, and of the centres only when one listens.
            emit_events(
                company=company_id,
                event=event,
                payloads=lambda ids=ids: [
                    payloads.cost_center_data(c) for c in CostCentre.objects.filter(pk__in=ids).order_by("pk")
                ],
            )
