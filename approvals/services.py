"""Approval workflows: keeping automatic processes in step with provisioning, the
company's approval settings, manual processes, and trips through their chain.

Views, the SCIM signal receiver, Celery tasks, the admin and the management command all
call these functions; they are keyword-only and atomic.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Min, Prefetch, prefetch_related_objects
from django.utils import timezone

from approvals import notifications
from approvals.chains import Person, PlannedProcess, PlannedStep, descendants, find_cycles, plan_automatic_processes
from approvals.models import ApprovalProcess, ApprovalStep, PendingChainChange, ScheduledRebuild, Trip, TripEvent
from travelportal.companies.models import Company, User, validate_currency
from travelportal.provisioning.models import ProvisioningLogEntry
from travelportal.provisioning.services import record_event

logger = logging.getLogger(__name__)

# A queued rebuild older than this is presumed lost (broker down, worker killed) and is
# enqueued again by the next change or by the periodic sweep.
STALE_SCHEDULE = timedelta(seconds=60)
CYCLE_REPORT_INTERVAL = timedelta(hours=24)


def coalesce_seconds() -> float:
    """How long a rebuild waits for more changes before it runs (read when used, not at import)."""
    return float(getattr(settings, "APPROVALS_COALESCE_SECONDS", 2.0))


# --- Automatic processes ---------------------------------------------------------------------


def _label(row: dict) -> str:
    name = " ".join(p for p in (row["given_name"], row["middle_name"], row["family_name"]) if p)
    return name or row["display_name"] or row["username"]


def load_people(company: Company) -> dict[UUID, Person]:
    """The company's manager hierarchy in one query; deleted people are included so chains
    through them skip them instead of stopping."""
    rows = User.objects.filter(company=company).values(
        "id", "manager_id", "is_active", "deleted_at", "role", "given_name", "middle_name", "family_name",
        "display_name", "username",
    )  # fmt: skip
    return {
        row["id"]: Person(
            id=row["id"],
            manager_id=row["manager_id"],
            is_active=row["is_active"],
            is_deleted=row["deleted_at"] is not None,
            is_admin=row["role"] == User.Role.ADMIN,
            label=_label(row),
        )
        for row in rows
    }


@dataclass
class RebuildResult:
    created: set[UUID] = field(default_factory=set)
    updated: set[UUID] = field(default_factory=set)
    deleted: set[UUID] = field(default_factory=set)
    owners_checked: int = 0
    cycles_reported: int = 0
    trips_reassigned: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


@dataclass(frozen=True)
class _Existing:
    process_id: int
    name: str
    requester_ids: frozenset[UUID]
    steps: tuple[PlannedStep, ...]


def _existing_automatic(company: Company, owners: set[UUID] | None) -> dict[UUID, _Existing]:
    processes = ApprovalProcess.objects.for_company(company).automatic()
    if owners is not None:
        processes = processes.filter(owner_id__in=owners)
    by_id = dict(processes.values_list("id", "owner_id"))
    names = dict(processes.values_list("id", "name"))
    requesters: dict[int, set[UUID]] = {pid: set() for pid in by_id}
    for pid, uid in ApprovalProcess.requesters.through.objects.filter(approvalprocess_id__in=by_id).values_list(
        "approvalprocess_id", "user_id"
    ):
        requesters[pid].add(uid)
    steps: dict[int, list[tuple[int, int, bool]]] = {pid: [] for pid in by_id}
    step_approvers: dict[int, set[UUID]] = {}
    for sid, pid, position, fallback in ApprovalStep.objects.filter(process_id__in=by_id).values_list(
        "id", "process_id", "position", "fallback_to_admins"
    ):
        steps[pid].append((position, sid, fallback))
        step_approvers[sid] = set()
    for sid, uid in ApprovalStep.approvers.through.objects.filter(approvalstep_id__in=step_approvers).values_list(
        "approvalstep_id", "user_id"
    ):
        step_approvers[sid].add(uid)
    return {
        owner_id: _Existing(
            process_id=pid,
            name=names[pid],
            requester_ids=frozenset(requesters[pid]),
            steps=tuple(
                PlannedStep(frozenset(step_approvers[sid]), fallback) for _, sid, fallback in sorted(steps[pid])
            ),
        )
        for pid, owner_id in by_id.items()
    }


def _owners_touching(company: Company, user_ids: set[UUID]) -> set[UUID]:
    """Owners of automatic processes in which any of ``user_ids`` is a requester or approver."""
    auto = ApprovalProcess.objects.for_company(company).automatic()
    as_requester = auto.filter(requesters__in=user_ids).values_list("owner_id", flat=True)
    as_approver = auto.filter(steps__approvers__in=user_ids).values_list("owner_id", flat=True)
    return set(as_requester) | set(as_approver)


def _write_automatic_processes(
    *,
    company: Company,
    planned: dict[UUID, PlannedProcess],
    existing: dict[UUID, _Existing],
    names: dict[UUID, str],
) -> tuple[set[UUID], set[UUID]]:
    """Make the owners' automatic processes match the plan with a fixed number of bulk
    queries (an initial sync creates hundreds at once); returns (created, updated) owners."""
    requester_rows = ApprovalProcess.requesters.through
    approver_rows = ApprovalStep.approvers.through
    creates = [owner for owner in planned if owner not in existing]
    updates = [
        owner
        for owner in planned
        if owner in existing
        and (existing[owner].name, existing[owner].requester_ids, existing[owner].steps)
        != (names[owner], planned[owner].requester_ids, planned[owner].steps)
    ]
    process_ids = {owner: existing[owner].process_id for owner in updates}
    created = ApprovalProcess.objects.bulk_create(
        [
            ApprovalProcess(company=company, kind=ApprovalProcess.Kind.AUTOMATIC, owner_id=owner, name=names[owner])
            for owner in creates
        ]
    )
    process_ids.update({process.owner_id: process.pk for process in created})
    if updates:
        renamed = [
            ApprovalProcess(pk=process_ids[owner], name=names[owner], updated_at=timezone.now()) for owner in updates
        ]
        ApprovalProcess.objects.bulk_update(renamed, ["name", "updated_at"])
    new_requesters = []
    for owner in creates + updates:
        before = existing[owner].requester_ids if owner in existing else frozenset()
        gone = before - planned[owner].requester_ids
        if gone:
            requester_rows.objects.filter(approvalprocess_id=process_ids[owner], user_id__in=gone).delete()
        new_requesters += [
            requester_rows(approvalprocess_id=process_ids[owner], user_id=user_id)
            for user_id in planned[owner].requester_ids - before
        ]
    requester_rows.objects.bulk_create(new_requesters, batch_size=1000)
    restep = [
        owner for owner in creates + updates if owner not in existing or existing[owner].steps != planned[owner].steps
    ]
    ApprovalStep.objects.filter(process_id__in=[process_ids[o] for o in restep if o in existing]).delete()
    steps = ApprovalStep.objects.bulk_create(
        [
            ApprovalStep(process_id=process_ids[owner], position=position, fallback_to_admins=step.fallback_to_admins)
            for owner in restep
            for position, step in enumerate(planned[owner].steps, start=1)
        ],
        batch_size=1000,
    )
    planned_steps = [step for owner in restep for step in planned[owner].steps]
    approver_rows.objects.bulk_create(
        [
            approver_rows(approvalstep_id=row.pk, user_id=user_id)
            for row, step in zip(steps, planned_steps, strict=True)
            for user_id in step.approver_ids
        ],
        batch_size=1000,
    )
    return set(creates), set(updates)


def _report_cycles(company: Company, cycles: set[tuple[UUID, ...]], people: dict[UUID, Person]) -> int:
    """Record each cycle in the provisioning log, at most once a day per cycle."""
    if not cycles:
        return 0
    since = timezone.now() - CYCLE_REPORT_INTERVAL
    already = set(
        ProvisioningLogEntry.objects.for_company(company)
        .filter(operation=ProvisioningLogEntry.Operation.MANAGER_CYCLE, created_at__gte=since)
        .values_list("detail", flat=True)
    )
    users = User.objects.in_bulk({member for cycle in cycles for member in cycle})
    reported = 0
    for cycle in sorted(cycles):
        names = [people[m].label if m in people else str(m) for m in cycle]
        if len(cycle) == 1:
            detail = f"{names[0]} is given as their own manager; the reference is ignored for approvals."
        else:
            loop = " → ".join([*names, names[0]])
            detail = f"Cycle in the manager data: {loop}. Approval chains stop before they repeat anyone."
        if detail in already:
            continue
        record_event(
            company=company,
            operation=ProvisioningLogEntry.Operation.MANAGER_CYCLE,
            detail=detail,
            user=users.get(cycle[0]),
        )
        reported += 1
    return reported


def rebuild_approval_processes(*, company: Company, user_ids: Iterable[UUID] | None = None) -> RebuildResult:
    """Bring the company's automatic approval processes in line with its people.

    With ``user_ids`` only the processes those people can affect are recomputed: their own,
    their manager's, those they are a requester or approver of, and those of everyone below
    them (whose chains pass through them); a change to an admin affects every admin-approved
    step, so it recomputes all. Without ``user_ids`` every process is recomputed (drift
    repair). Either way the result is the same, and running it again changes nothing.
    Pending trips then follow their new approvers (``sync_pending_trips``).
    """
    with transaction.atomic():
        people = load_people(company)
        depth = company.approval_chain_depth
        dirty = set(user_ids) if user_ids is not None else None
        if dirty is not None and any(people[u].is_admin for u in dirty if u in people):
            dirty = None
        if not company.approvals_automated:
            owners = None
            plan_processes: dict[UUID, PlannedProcess] = {}
            cycles: set[tuple[UUID, ...]] = set()
        else:
            if dirty is None:
                owners = None
            else:
                owners = set(dirty) | descendants(dirty, people) | _owners_touching(company, dirty)
                owners |= {people[u].manager_id for u in dirty if u in people and people[u].manager_id}
            plan = plan_automatic_processes(people, depth=depth, owners=owners)
            plan_processes = plan.processes
            cycles = plan.cycles | find_cycles(people)
        existing = _existing_automatic(company, owners)
        result = RebuildResult()
        checked = set(plan_processes) | set(existing) if owners is None else owners
        result.owners_checked = len(checked)
        gone = [owner for owner in checked if owner not in plan_processes and owner in existing]
        ApprovalProcess.objects.filter(pk__in=[existing[owner].process_id for owner in gone]).delete()
        result.deleted = set(gone)
        wanted = {owner: plan_processes[owner] for owner in checked if owner in plan_processes}
        result.created, result.updated = _write_automatic_processes(
            company=company,
            planned=wanted,
            existing={owner: existing[owner] for owner in wanted if owner in existing},
            names={owner: people[owner].label for owner in wanted},
        )
        result.cycles_reported = _report_cycles(company, cycles, people)
        result.trips_reassigned = len(sync_pending_trips(company=company))
    return result


# --- The outbox, coalescing and scheduling ----------------------------------------------------


def record_people_changes(*, company_id: int, user_ids: Sequence[UUID]) -> None:
    """Note, inside the provisioning transaction, whose change may alter approval chains,
    and schedule one coalesced rebuild for after the commit.

    The outbox rows commit or roll back with the change itself, so a change the client
    was told about is never lost, whatever happens to the broker afterwards."""
    unique_ids = list(dict.fromkeys(user_ids))
    if not unique_ids:
        return
    PendingChainChange.objects.bulk_create(
        [PendingChainChange(company_id=company_id, user_id=user_id) for user_id in unique_ids]
    )
    transaction.on_commit(partial(schedule_chain_rebuild, company_id=company_id))


def request_full_rebuild(*, company: Company) -> None:
    """Ask for every automatic process of the company to be recomputed after the commit."""
    PendingChainChange.objects.create(company=company, user_id=None)
    transaction.on_commit(partial(schedule_chain_rebuild, company_id=company.pk))


def schedule_chain_rebuild(*, company_id: int) -> bool:
    """Enqueue the company's rebuild task unless one is already queued; True if enqueued.

    Runs after commit. If the broker is unreachable the outbox rows simply wait for the
    next change or the periodic sweep; the caller (a SCIM request) is never failed."""
    from approvals.tasks import process_chain_changes

    now = timezone.now()
    # The common case during a sync: a task is already queued and will take this change
    # too. Checking first spares each SCIM write a failing INSERT and its rollback.
    if ScheduledRebuild.objects.filter(company_id=company_id, scheduled_at__gte=now - STALE_SCHEDULE).exists():
        return False
    try:
        with transaction.atomic():
            ScheduledRebuild.objects.create(company_id=company_id, scheduled_at=now)
    except IntegrityError:
        claimed = ScheduledRebuild.objects.filter(company_id=company_id, scheduled_at__lt=now - STALE_SCHEDULE).update(
            scheduled_at=now
        )
        if not claimed:
            return False
    try:
        process_chain_changes.apply_async(args=[company_id], countdown=coalesce_seconds(), retry=False)
    except Exception:
        # Drop our marker so the next change tries the broker again at once instead of
        # presuming a task is queued for STALE_SCHEDULE; the outbox rows wait either way.
        ScheduledRebuild.objects.filter(company_id=company_id, scheduled_at=now).delete()
        logger.warning("Could not enqueue the approval chain rebuild of company %s; the sweep will.", company_id)
        return False
    return True


def process_pending_chain_changes(*, company_id: int) -> RebuildResult | None:
    """Apply every change waiting in the company's outbox in one rebuild (the Celery task's body).

    The schedule marker is dropped first, so a change committed from now on schedules a
    new task rather than being missed. None when nothing was waiting."""
    ScheduledRebuild.objects.filter(company_id=company_id).delete()
    return _rebuild_from_outbox(company_id=company_id, full=False)


def _rebuild_from_outbox(*, company_id: int, full: bool) -> RebuildResult | None:
    """Rebuild for the people waiting in the outbox (everyone if ``full`` or if a row asks
    for it), then delete those rows by id, so a row that commits while this runs waits for
    the next run. None if the company is gone, or if nothing waited and ``full`` is off."""
    with transaction.atomic():
        # NO KEY UPDATE serialises rebuilds of one company without blocking the SCIM writes
        # that insert rows referencing the company.
        company = Company.objects.select_for_update(no_key=True).filter(pk=company_id).first()
        if company is None:
            return None
        rows = list(PendingChainChange.objects.filter(company=company).values_list("id", "user_id"))
        if not rows and not full:
            return None
        everyone = full or any(user_id is None for _, user_id in rows)
        result = rebuild_approval_processes(
            company=company, user_ids=None if everyone else {user_id for _, user_id in rows}
        )
        PendingChainChange.objects.filter(id__in=[row_id for row_id, _ in rows]).delete()
    return result


def companies_with_waiting_changes(*, older_than: timedelta) -> list[int]:
    """Companies whose outbox holds a change no task has picked up in ``older_than``."""
    cutoff = timezone.now() - older_than
    return list(
        PendingChainChange.objects.values("company_id")
        .annotate(oldest=Min("created_at"))
        .filter(oldest__lt=cutoff)
        .values_list("company_id", flat=True)
    )


def repair_approval_processes(*, company: Company) -> RebuildResult:
    """Full rebuild plus whatever waits in the outbox (periodic task, management command)."""
    return _rebuild_from_outbox(company_id=company.pk, full=True) or RebuildResult()


# --- Company settings --------------------------------------------------------------------------


def update_approval_settings(
    *,
    company: Company,
    approvals_through_idp: bool,
    auto_approval_processes: bool,
    chain_depth: int,
    auto_process_trips: str,
    on_disable: str = "convert",
) -> Company:
    """Save the company's approval settings and schedule the rebuild they call for.

    Turning automation on keeps manual processes (they take precedence anyway). Turning
    it off either deletes the automatic processes (``on_disable="delete"``) or converts
    them to manual ones that admins can then edit (``"convert"``, the default)."""
    errors = {}
    if chain_depth not in (1, 2, 3):
        errors["chain_depth"] = "The chain depth must be 1, 2 or 3."
    if auto_process_trips not in Company.TripsRequiringApproval.values:
        errors["auto_process_trips"] = "Choose all trips or out-of-policy trips only."
    if on_disable not in ("delete", "convert"):
        errors["on_disable"] = "Choose whether to delete or convert the automatic processes."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        was_on = company.approvals_automated
        company.approvals_through_idp = approvals_through_idp
        company.auto_approval_processes = auto_approval_processes
        company.approval_chain_depth = chain_depth
        company.auto_process_trips = auto_process_trips
        company.save(
            update_fields=[
                "approvals_through_idp",
                "auto_approval_processes",
                "approval_chain_depth",
                "auto_process_trips",
            ]
        )
        if was_on and not company.approvals_automated:
            automatic = ApprovalProcess.objects.for_company(company).automatic()
            if on_disable == "delete":
                automatic.delete()
            else:
                ApprovalStep.objects.filter(process__in=automatic).update(fallback_to_admins=False)
                automatic.update(kind=ApprovalProcess.Kind.MANUAL, owner=None, updated_at=timezone.now())
        request_full_rebuild(company=company)
    return company


# --- Manual and default processes ---------------------------------------------------------------


def save_process(
    *,
    company: Company,
    name: str,
    kind: str,
    requesters: Iterable[User],
    steps: Sequence[Iterable[User]],
    process: ApprovalProcess | None = None,
) -> ApprovalProcess:
    """Create or update a manual process or the company's default process.

    Every step needs at least one active approver of the company; automatic processes
    are read-only here (automation owns them)."""
    requesters = list(requesters)
    steps = [list(step) for step in steps]
    errors: dict[str, str] = {}
    if process is not None and (process.company_id != company.pk or process.is_automatic):
        raise ValidationError("Automatic processes are maintained from the identity provider and can't be edited.")
    if kind not in (ApprovalProcess.Kind.MANUAL, ApprovalProcess.Kind.DEFAULT):
        errors["kind"] = "Choose manual or default."
    if not name.strip():
        errors["name"] = "Give the process a name."
    if not steps or any(not step for step in steps):
        errors["steps"] = "Every step needs at least one approver."
    people = [*requesters, *(u for step in steps for u in step)]
    if any(u.company_id != company.pk or u.is_deleted for u in people):
        errors["requesters"] = "Requesters and approvers must be people of the company."
    if (
        kind == ApprovalProcess.Kind.DEFAULT
        and ApprovalProcess.objects.for_company(company)
        .filter(kind=ApprovalProcess.Kind.DEFAULT)
        .exclude(pk=getattr(process, "pk", None))
        .exists()
    ):
        errors["kind"] = "The company already has a default process."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if process is None:
            process = ApprovalProcess.objects.create(company=company, kind=kind, name=name.strip())
        else:
            process.name = name.strip()
            process.kind = kind
            process.save(update_fields=["name", "kind", "updated_at"])
            process.steps.all().delete()
        # The default process applies to everyone without another process: no requesters.
        process.requesters.set([] if kind == ApprovalProcess.Kind.DEFAULT else requesters)
        for position, approvers in enumerate(steps, start=1):
            step = ApprovalStep.objects.create(process=process, position=position)
            step.approvers.set(approvers)
        sync_pending_trips(company=company)
    return process


def delete_process(*, process: ApprovalProcess) -> None:
    """Delete a manual or default process; its pending trips move to whatever applies now."""
    if process.is_automatic:
        raise ValidationError("Automatic processes are maintained from the identity provider and can't be deleted.")
    with transaction.atomic():
        company = process.company
        process.delete()
        sync_pending_trips(company=company)


# --- Which process applies, and who approves a step ---------------------------------------------


def company_admins(company: Company) -> list[User]:
    return list(User.objects.for_company(company).filter(role=User.Role.ADMIN, is_active=True))


def applicable_processes(*, company: Company, traveller_ids: Iterable[UUID]) -> dict[UUID, ApprovalProcess | None]:
    """The process for each traveller's trips, in a fixed number of queries: their manual
    process (the oldest if several), else their automatic one, else the company default,
    else none. Travellers sharing a process share one instance."""
    ids = set(traveller_ids)
    rank = {ApprovalProcess.Kind.MANUAL: 0, ApprovalProcess.Kind.AUTOMATIC: 1}
    memberships = ApprovalProcess.requesters.through.objects.filter(
        user_id__in=ids, approvalprocess__company=company, approvalprocess__kind__in=list(rank)
    ).values_list("user_id", "approvalprocess_id", "approvalprocess__kind")
    best: dict[UUID, tuple[int, int]] = {}
    for user_id, process_id, kind in memberships:
        best[user_id] = min(best.get(user_id, (rank[kind], process_id)), (rank[kind], process_id))
    processes = ApprovalProcess.objects.in_bulk({process_id for _, process_id in best.values()})
    default = ApprovalProcess.objects.for_company(company).filter(kind=ApprovalProcess.Kind.DEFAULT).first()
    return {user_id: processes[best[user_id][1]] if user_id in best else default for user_id in ids}


def applicable_process(person: User) -> ApprovalProcess | None:
    """The process for this person's trips (see ``applicable_processes``)."""
    return applicable_processes(company=person.company, traveller_ids=[person.pk])[person.pk]


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


def _current_approvers(trip: Trip, process: ApprovalProcess | None, admins: list[User]) -> list[User]:
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
        approvers = _current_approvers(trip, process, admins)
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


# --- Trips ----------------------------------------------------------------------------------------


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

    Whether it is in policy follows from the traveller's travel policy; if an approval
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
    policy = traveller.travel_policy
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
        approvers = _current_approvers(trip, process, company_admins(company))
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
