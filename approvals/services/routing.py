"""Routing: which approval process applies to a traveller's trips, who approves each step,
and pending trips following their approvers when those change.

Rules:

* A traveller's trips go through their manual process (the oldest if several), else their
  automatic one, else the company default, else none (approved at once). A person is a
  requester of a manual process when it names them or a group they are in now, so people
  join and leave group-requester processes as their memberships change; an inactive
  process (left without requesters) applies to nobody.
* Nobody approves their own trip. A step with no active approver left, and a step the
  chain builder gave to the admins (``fallback_to_admins``), is decided by whoever the
  company's active admins are at that moment, so an admin demoted or deactivated leaves
  those steps at the next sync; a sole admin may approve their own trip rather than have
  it wait forever.
* A pending trip keeps its step number; if its process has no such step any more (gone,
  or a chain that got shorter), the admins decide it rather than someone who approved it.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects

from approvals import notifications
from approvals.models import ApprovalProcess, ApprovalStep, Trip, TripEvent
from travelportal.companies.models import Company, GroupMembership, User


def company_admins(company: Company) -> list[User]:
    """The company's active, live admins: who decides fallback steps and steps left empty."""
    return list(User.objects.for_company(company).filter(role=User.Role.ADMIN, is_active=True))


def applicable_processes(*, company: Company, traveller_ids: Iterable[UUID]) -> dict[UUID, ApprovalProcess | None]:
    """The process for each traveller's trips, in a fixed number of queries: their manual
    process (the oldest if several, whether it names them or one of their groups), else
    their automatic one, else the company default, else none. Travellers sharing a process
    share one instance."""
    ids = set(traveller_ids)
    rank = {ApprovalProcess.Kind.MANUAL: 0, ApprovalProcess.Kind.AUTOMATIC: 1}
    named = ApprovalProcess.requesters.through.objects.filter(
        user_id__in=ids,
        approvalprocess__company=company,
        approvalprocess__kind__in=list(rank),
        approvalprocess__is_active=True,
    ).values_list("user_id", "approvalprocess_id", "approvalprocess__kind")
    # Only manual processes name groups; the join goes from the traveller's memberships.
    through_groups = GroupMembership.objects.filter(
        user_id__in=ids,
        group__approval_processes__company=company,
        group__approval_processes__kind=ApprovalProcess.Kind.MANUAL,
        group__approval_processes__is_active=True,
    ).values_list("user_id", "group__approval_processes__id", "group__approval_processes__kind")
    best: dict[UUID, tuple[int, int]] = {}
    for user_id, process_id, kind in [*named, *through_groups]:
        best[user_id] = min(best.get(user_id, (rank[kind], process_id)), (rank[kind], process_id))
    processes = ApprovalProcess.objects.in_bulk({process_id for _, process_id in best.values()})
    default = ApprovalProcess.objects.for_company(company).filter(kind=ApprovalProcess.Kind.DEFAULT).first()
    return {user_id: processes[best[user_id][1]] if user_id in best else default for user_id in ids}


def applicable_process(person: User) -> ApprovalProcess | None:
    """The process for this person's trips (see ``applicable_processes``)."""
    return applicable_processes(company=person.company, traveller_ids=[person.pk])[person.pk]


def approval_steps_for(person: User) -> list[list[User]]:
    """Who approves this person's trips, step by step: the approvers of each step of the
    process that applies to them, as lists of active users; the person is never listed as
    their own approver. Empty when their trips need no approval."""
    process = applicable_process(person)
    if process is None:
        return []
    return [step_approvers(step=step, traveller=person) for step in process.steps.all()]


def _decide_approvers(approvers: Iterable[User], traveller: User, admins: list[User]) -> list[User]:
    """Nobody approves their own trip; a step left empty falls to the company admins, and a
    sole admin may approve their own trip rather than have it wait forever."""
    chosen = [u for u in approvers if u.is_active and not u.is_deleted and u.pk != traveller.pk]
    if not chosen:
        chosen = [u for u in admins if u.pk != traveller.pk] or list(admins)
    return sorted(chosen, key=lambda u: (u.family_name, u.given_name, u.username))


def step_approvers(*, step: ApprovalStep, traveller: User, admins: list[User] | None = None) -> list[User]:
    """The people who may decide this step for this traveller's trip, right now."""
    if admins is None:
        admins = company_admins(step.process.company)
    approvers = admins if step.fallback_to_admins else list(step.approvers.all())
    return _decide_approvers(approvers, traveller, admins)


def current_step_approvers(*, trip: Trip, process: ApprovalProcess | None, admins: list[User]) -> list[User]:
    """Who decides the trip's current step under ``process``; the step keeps its number."""
    steps = list(process.steps.all()) if process is not None else []
    if trip.current_step > len(steps):
        # No such step (no process any more, or the chain got shorter under a trip already
        # past its earlier steps): the admins decide it, rather than the trip going back
        # to someone who already approved it.
        return _decide_approvers([], trip.traveller, admins)
    return step_approvers(step=steps[trip.current_step - 1], traveller=trip.traveller, admins=admins)


def sync_pending_trips(*, company: Company) -> list[Trip]:
    """Point every pending trip at the process that applies to its traveller now and at
    that step's current approvers; tell the traveller and the new approvers when those
    change (an approver deactivated, deleted or replaced). Returns the trips moved."""
    with transaction.atomic():
        return _sync_pending_trips(company)


def _sync_pending_trips(company: Company) -> list[Trip]:
    # Locked (in pk order, so two syncs can't deadlock) so a decision made while this runs
    # waits for it and then sees the new approvers, instead of this overwriting the next
    # step's approvers with the ones of the step it read.
    trips = list(
        Trip.objects.for_company(company)
        .pending()
        .select_for_update(of=("self",))
        .select_related("traveller")
        .prefetch_related("current_approvers")
        .order_by("pk")
    )
    if not trips:
        return []
    admins = company_admins(company)
    moved = []
    # Batched so a rebuild costs the same few reads whether 1 or 5,000 trips are pending.
    processes = applicable_processes(company=company, traveller_ids={trip.traveller_id for trip in trips})
    prefetch_related_objects(
        [p for p in set(processes.values()) if p is not None],
        Prefetch("steps", queryset=ApprovalStep.objects.prefetch_related("approvers")),
    )
    for trip in trips:
        process = processes[trip.traveller_id]
        approvers = current_step_approvers(trip=trip, process=process, admins=admins)
        new_process_id = process.pk if process else None
        if new_process_id != trip.process_id:
            trip.process_id = new_process_id
            trip.save(update_fields=["process"])
        before = {u.pk for u in trip.current_approvers.all()}
        if before == {u.pk for u in approvers}:
            continue
        trip.current_approvers.set(approvers)
        names = ", ".join(str(u) for u in approvers) or "nobody"
        TripEvent.objects.create(
            trip=trip, kind=TripEvent.Kind.REASSIGNED, step=trip.current_step, detail=f"Now waiting for {names}."[:500]
        )
        new_people = [u for u in approvers if u.pk not in before]
        if new_people:
            notifications.trip_waiting(trip, new_people, reason="A trip waiting for approval has moved to you.")
        notifications.trip_update_for_traveller(trip, headline=f"Your trip now waits for {names}.")
        moved.append(trip)
    return moved
