"""Approval chains computed from the manager hierarchy.

The planning functions here are pure: they take a snapshot of a company's people and
return the automatic processes that should exist, without touching the database, so they
can be tested over generated org trees and reused by the incremental and the full rebuild.

Rules:

* Each manager with at least one active, live direct report owns one automatic process;
  its requesters are those reports.
* Step *n*'s approver is the *n*-th active, live person met walking up from the owner
  (the owner included), up to the company's chain depth. Deactivated or deleted people
  are skipped, so a chain goes on to the next active manager up.
* With nobody left, the process has one step that the company admins approve, so no
  step is ever without an approver (a company without an active admin gets no process).
* A cycle (A manages B manages A, or a self-reference) stops the walk where it would
  revisit someone: the link that closes the cycle is ignored and the cycle reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID


@dataclass(frozen=True)
class Person:
    id: UUID
    manager_id: UUID | None
    is_active: bool = True
    is_deleted: bool = False
    is_admin: bool = False
    label: str = ""

    @property
    def can_approve(self) -> bool:
        return self.is_active and not self.is_deleted


@dataclass(frozen=True)
class PlannedStep:
    approver_ids: frozenset[UUID]
    fallback_to_admins: bool = False


@dataclass(frozen=True)
class PlannedProcess:
    owner_id: UUID
    requester_ids: frozenset[UUID]
    steps: tuple[PlannedStep, ...]


@dataclass(frozen=True)
class Walk:
    approver_ids: tuple[UUID, ...]
    # The people on a cycle met during the walk, in manager order; empty when none.
    cycle: tuple[UUID, ...] = ()


@dataclass
class Plan:
    processes: dict[UUID, PlannedProcess] = field(default_factory=dict)
    cycles: set[tuple[UUID, ...]] = field(default_factory=set)


def walk_up(start_id: UUID, people: Mapping[UUID, Person], depth: int) -> Walk:
    """The first ``depth`` people able to approve, walking up from ``start_id`` inclusive.

    Stops at the top of the hierarchy, at a manager outside ``people`` (another company's
    or unknown id), or where the walk would revisit someone (a cycle, reported)."""
    approvers: list[UUID] = []
    path: list[UUID] = []
    seen: set[UUID] = set()
    current: UUID | None = start_id
    while current is not None and current in people and len(approvers) < depth:
        if current in seen:
            return Walk(tuple(approvers), canonical_cycle(path[path.index(current) :]))
        seen.add(current)
        path.append(current)
        person = people[current]
        if person.can_approve:
            approvers.append(current)
        current = person.manager_id
    return Walk(tuple(approvers))


def canonical_cycle(members: list[UUID]) -> tuple[UUID, ...]:
    """The same cycle always gets the same tuple, whichever member the walk entered by."""
    if not members:
        return ()
    start = members.index(min(members))
    return tuple(members[start:] + members[:start])


def direct_reports(people: Mapping[UUID, Person]) -> dict[UUID, set[UUID]]:
    """Active, live direct reports by manager id (self-references excluded)."""
    reports: dict[UUID, set[UUID]] = {}
    for person in people.values():
        if person.manager_id is not None and person.manager_id != person.id and person.can_approve:
            reports.setdefault(person.manager_id, set()).add(person.id)
    return reports


def find_cycles(people: Mapping[UUID, Person]) -> set[tuple[UUID, ...]]:
    """Every cycle in the manager data, each once, in canonical form."""
    cycles: set[tuple[UUID, ...]] = set()
    done: set[UUID] = set()
    for start in people:
        path: list[UUID] = []
        on_path: set[UUID] = set()
        current: UUID | None = start
        while current is not None and current in people and current not in done:
            if current in on_path:
                cycles.add(canonical_cycle(path[path.index(current) :]))
                break
            on_path.add(current)
            path.append(current)
            current = people[current].manager_id
        done.update(path)
    return cycles


def plan_automatic_processes(
    people: Mapping[UUID, Person], *, depth: int, owners: Iterable[UUID] | None = None
) -> Plan:
    """The automatic processes that should exist, for ``owners`` (every manager when None).

    An owner missing from the returned ``processes`` should have no automatic process."""
    if not 1 <= depth <= 3:
        raise ValueError(f"chain depth must be 1, 2 or 3, not {depth}")
    reports = direct_reports(people)
    admins = frozenset(p.id for p in people.values() if p.is_admin and p.can_approve)
    plan = Plan()
    candidates = reports.keys() if owners is None else owners
    for owner_id in candidates:
        requesters = reports.get(owner_id)
        if not requesters or owner_id not in people:
            continue
        walk = walk_up(owner_id, people, depth)
        if walk.cycle:
            plan.cycles.add(walk.cycle)
        if walk.approver_ids:
            steps = tuple(PlannedStep(frozenset({approver})) for approver in walk.approver_ids)
        elif admins:
            steps = (PlannedStep(admins, fallback_to_admins=True),)
        else:
            continue
        plan.processes[owner_id] = PlannedProcess(owner_id, frozenset(requesters), steps)
    return plan


def descendants(roots: Iterable[UUID], people: Mapping[UUID, Person]) -> set[UUID]:
    """Everyone below ``roots`` in the manager hierarchy (cycle-safe), roots excluded
    unless a cycle leads back to them."""
    children: dict[UUID, list[UUID]] = {}
    for person in people.values():
        if person.manager_id is not None:
            children.setdefault(person.manager_id, []).append(person.id)
    found: set[UUID] = set()
    stack = list(roots)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found
