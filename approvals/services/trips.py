"""Trips: requesting one (policy check, which process applies) and deciding it step by step.

Who may decide is ``Trip.can_be_decided_by``; whether a trip is in policy is
``TravelPolicy.violations_for`` of the traveller's ``User.effective_travel_policy`` (their
own, else their groups'); who approves each step is ``routing``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from approvals import notifications
from approvals.models import ApprovalProcess, Trip, TripEvent
from approvals.services.routing import applicable_process, company_admins, current_step_approvers, step_approvers
from travelportal.companies.models import Company, User, validate_currency


class DecisionError(Exception):
    """The trip can't be decided by this person now (message says why)."""


class NotAnApprover(DecisionError):
    pass


def trip_needs_approval(*, process: ApprovalProcess | None, company: Company, in_policy: bool) -> bool:
    if process is None:
        return False
    if process.is_automatic and company.auto_process_trips == Company.TripsRequiringApproval.OUT_OF_POLICY:
        return not in_policy
    return True


def create_trip(
    *,
    traveller: User,
    requested_by: User,
    destination: str,
    start_date: date,
    end_date: date,
    purpose: str,
    estimated_cost: Decimal,
    currency: str,
    flight_cabin: str = "",
    hotel_price_per_night: Decimal | None = None,
) -> Trip:
    """Request a trip for ``traveller`` (themselves, or an admin on their behalf).

    Whether it is in policy follows from the traveller's effective travel policy (their
    own, else the first of their groups' in the admin's order); if an approval
    process applies to the trip it waits for step 1's approvers, who are emailed;
    otherwise it is approved at once."""
    errors: dict[str, str] = {}
    if requested_by.company_id is None or requested_by.company_id != traveller.company_id:
        raise ValidationError({"traveller": "Choose a person of your company."})
    if requested_by.pk != traveller.pk and not requested_by.is_company_admin:
        raise ValidationError({"traveller": "Only company admins request trips for someone else."})
    if not traveller.is_active or traveller.is_deleted:
        errors["traveller"] = "This person is not active."
    if not destination.strip():
        errors["destination"] = "Where to?"
    if not purpose.strip():
        errors["purpose"] = "Say what the trip is for."
    if end_date < start_date:
        errors["end_date"] = "The trip can't end before it starts."
    if estimated_cost < 0:
        errors["estimated_cost"] = "The cost can't be negative."
    try:
        validate_currency(currency)
    except ValidationError as exc:
        errors["currency"] = exc.messages[0]
    if flight_cabin and flight_cabin not in Trip.Cabin.values:
        errors["flight_cabin"] = "Choose a cabin class."
    if hotel_price_per_night is not None and hotel_price_per_night < 0:
        errors["hotel_price_per_night"] = "The price can't be negative."
    if errors:
        raise ValidationError(errors)
    policy = traveller.effective_travel_policy().policy
    reasons = (
        policy.violations_for(
            estimated_cost=estimated_cost,
            currency=currency,
            flight_cabin=flight_cabin,
            hotel_price_per_night=hotel_price_per_night,
        )
        if policy is not None
        else []
    )
    if reasons and policy is not None and not policy.allow_out_of_policy:
        raise ValidationError(f"The travel policy “{policy}” doesn't allow out-of-policy trips: {' '.join(reasons)}")
    company = traveller.company
    with transaction.atomic():
        process = applicable_process(traveller)
        needs = trip_needs_approval(process=process, company=company, in_policy=not reasons)
        trip = Trip.objects.create(
            company=company,
            traveller=traveller,
            requested_by=requested_by,
            destination=destination.strip(),
            start_date=start_date,
            end_date=end_date,
            purpose=purpose.strip(),
            estimated_cost=estimated_cost,
            currency=currency,
            flight_cabin=flight_cabin,
            hotel_price_per_night=hotel_price_per_night,
            in_policy=not reasons,
            policy_notes=reasons,
            status=Trip.Status.PENDING if needs else Trip.Status.APPROVED,
            process=process if needs else None,
            current_step=1 if needs else 0,
            decided_at=None if needs else timezone.now(),
        )
        TripEvent.objects.create(trip=trip, kind=TripEvent.Kind.SUBMITTED, actor=requested_by, step=trip.current_step)
        if not needs:
            why = "No approval process applies." if process is None else "In policy: no approval needed."
            TripEvent.objects.create(trip=trip, kind=TripEvent.Kind.AUTO_APPROVED, detail=why)
            notifications.trip_update_for_traveller(trip, headline="Approved: no approval was needed.")
            return trip
        approvers = current_step_approvers(trip=trip, process=process, admins=company_admins(company))
        trip.current_approvers.set(approvers)
        notifications.trip_waiting(trip, approvers, reason="A trip waits for your approval.")
    return trip


def _lock_for_decision(trip: Trip, approver: User, step: int | None) -> Trip:
    locked = Trip.objects.select_for_update(of=("self",)).select_related("traveller", "process").get(pk=trip.pk)
    if not locked.is_pending:
        raise DecisionError(f"This trip was already {locked.get_status_display().lower()}.")
    if step is not None and step != locked.current_step:
        raise DecisionError("Someone already decided this step; the trip has moved on.")
    if not locked.can_be_decided_by(approver):
        raise NotAnApprover("You are not an approver of this trip's current step.")
    return locked


def _close_trip(locked: Trip, *, status: str, approver: User, comment: str) -> None:
    """The final decision on a locked trip: record it, free the approvers, tell the traveller."""
    position = locked.current_step
    locked.status = status
    locked.current_step = 0
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "current_step", "decided_at"])
    locked.current_approvers.clear()
    # TripEvent.Kind shares the "approved"/"declined" values with Trip.Status.
    TripEvent.objects.create(trip=locked, kind=status, actor=approver, step=position, comment=comment)
    notifications.trip_update_for_traveller(
        locked, headline=f"{locked.get_status_display()} by {approver}.", comment=comment
    )


def approve_trip(*, trip: Trip, approver: User, comment: str = "", step: int | None = None) -> Trip:
    """Approve the trip's current step: it moves to the next step, or is approved after the last.

    ``step`` is the step the approver saw; if someone decided it meanwhile the call fails
    instead of approving a step they never saw. Concurrent decisions are serialised by a
    row lock, so two approvers acting at once produce one decision."""
    with transaction.atomic():
        locked = _lock_for_decision(trip, approver, step)
        position = locked.current_step
        steps = list(locked.process.steps.all()) if locked.process else []
        if position < len(steps):
            locked.current_step = position + 1
            locked.save(update_fields=["current_step"])
            TripEvent.objects.create(
                trip=locked, kind=TripEvent.Kind.STEP_APPROVED, actor=approver, step=position, comment=comment
            )
            approvers = step_approvers(step=steps[position], traveller=locked.traveller)
            locked.current_approvers.set(approvers)
            notifications.trip_waiting(locked, approvers, reason=f"Step {position} was approved by {approver}.")
            notifications.trip_update_for_traveller(
                locked, headline=f"Step {position} of {len(steps)} approved by {approver}.", comment=comment
            )
        else:
            _close_trip(locked, status=Trip.Status.APPROVED, approver=approver, comment=comment)
    return locked


def decline_trip(*, trip: Trip, approver: User, comment: str, step: int | None = None) -> Trip:
    """Decline the trip at its current step; a comment saying why is required."""
    if not comment.strip():
        raise ValidationError({"comment": "Say why you decline the trip."})
    with transaction.atomic():
        locked = _lock_for_decision(trip, approver, step)
        _close_trip(locked, status=Trip.Status.DECLINED, approver=approver, comment=comment.strip())
    return locked
