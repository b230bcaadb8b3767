"""Automatic approval processes kept in line with the company's manager hierarchy.

The plan comes from the pure functions of ``approvals.chains`` (whose docstring states the
rules); this module loads the hierarchy, writes the difference between the plan and what
is stored, reports manager cycles, and moves pending trips to their new approvers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from approvals.chains import Person, PlannedProcess, PlannedStep, descendants, find_cycles, plan_automatic_processes
from approvals.models import ApprovalProcess, ApprovalStep
from approvals.services.routing import sync_pending_trips
from travelportal.companies.models import Company, User
from travelportal.provisioning.models import ProvisioningLogEntry
from travelportal.provisioning.services import record_event

CYCLE_REPORT_INTERVAL = timedelta(hours=24)


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
    them (whose chains pass through them). Admins approve the steps nobody else can
    (``fallback_to_admins``, stored with every active admin as approver), so someone who is
    an admin now may belong in all of them and recomputes all; someone who was one until
    this change (demoted, deactivated, deleted) is an approver of each of those steps, and
    is found there. Without ``user_ids`` every process is recomputed (drift repair). Either
    way the result is the same, and running it again changes nothing. Pending trips then
    follow their new approvers (``sync_pending_trips``, which gives the admins' steps to
    whoever the admins are now).
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
