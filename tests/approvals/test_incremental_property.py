"""Property: whatever SCIM-like changes happen, roles included, the incrementally maintained
processes and pending trips equal a full rebuild, and no step is ever left without an approver."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from approvals.models import ApprovalStep, Trip
from approvals.services.automatic_processes import rebuild_approval_processes
from approvals.services.chain_rebuilds import process_pending_chain_changes
from approvals.services.trips import create_trip
from tests.approvals.conftest import process_snapshot
from travelportal.companies.models import Company, User
from travelportal.companies.signals import report_person_changes

POOL = 5
# The company's first admin sits at index POOL: role changes reach it, nothing else does.
FOUNDER = POOL

operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, POOL - 1), st.none() | st.integers(0, POOL - 1)),
        st.tuples(st.just("set_manager"), st.integers(0, POOL - 1), st.none() | st.integers(0, POOL - 1)),
        st.tuples(st.just("deactivate"), st.integers(0, POOL - 1), st.none()),
        st.tuples(st.just("reactivate"), st.integers(0, POOL - 1), st.none()),
        st.tuples(st.just("delete"), st.integers(0, POOL - 1), st.none()),
        st.tuples(st.just("promote"), st.integers(0, FOUNDER), st.none()),
        st.tuples(st.just("demote"), st.integers(0, FOUNDER), st.none()),
        st.tuples(st.just("request_trip"), st.integers(0, POOL - 1), st.none()),
    ),
    max_size=25,
)


def apply(company: Company, people: dict[int, User], op: tuple) -> None:
    kind, index, other = op
    person = people.get(index)
    manager = people.get(other) if other is not None else None
    if kind == "request_trip":
        if person is not None and person.is_active and not person.is_deleted:
            create_trip(
                traveller=person, requested_by=person, destination="Rome", start_date=date(2027, 1, 1),
                end_date=date(2027, 1, 2), purpose="Visit", estimated_cost=Decimal("1"), currency="EUR",
            )  # fmt: skip
        return
    with transaction.atomic():
        if kind == "create":
            if person is not None and not person.is_deleted:
                return
            person = User.objects.create_user(
                f"p{index}-{len(people)}-{timezone.now().timestamp()}@acme.example",
                None,
                company=company,
                given_name=f"P{index}",
                manager=manager if manager is not None and manager.pk else None,
            )
            people[index] = person
            changed = None
        elif person is None:
            return
        elif kind == "set_manager":
            if manager is not None and manager.pk == person.pk:
                return  # the database refuses self-references; SCIM rejects them earlier
            person.manager = manager
            changed = ["manager"]
            person.save(update_fields=changed)
        elif kind == "deactivate":
            person.is_active = False
            changed = ["is_active"]
            person.save(update_fields=changed)
        elif kind == "reactivate":
            person.is_active = True
            changed = ["is_active"]
            person.save(update_fields=changed)
        elif kind == "delete":
            person.deleted_at = timezone.now()
            person.is_active = False
            changed = ["deleted_at", "is_active"]
            person.save(update_fields=changed)
        elif kind in ("promote", "demote"):
            person.role = User.Role.ADMIN if kind == "promote" else User.Role.TRAVELLER
            changed = ["role"]
            person.save(update_fields=changed)
        report_person_changes(company_id=company.pk, changes={person.pk: changed})
    process_pending_chain_changes(company_id=company.pk)


def trips_snapshot(company: Company) -> dict:
    """Pending trips as comparable data: trip -> (process, step, current approvers)."""
    return {
        trip.pk: (trip.process_id, trip.current_step, frozenset(u.pk for u in trip.current_approvers.all()))
        for trip in Trip.objects.for_company(company).pending().prefetch_related("current_approvers")
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, depth=st.integers(1, 3))
# A chain through someone who is neither owner nor approver when they come back.
@example(
    ops=[
        ("create", 0, None),
        ("create", 1, 0),
        ("create", 2, 1),
        ("create", 3, 2),
        ("deactivate", 1, None),
        ("reactivate", 1, None),
    ],
    depth=2,
)
# A cycle closed later, then broken by a deletion.
@example(
    ops=[("create", 0, None), ("create", 1, 0), ("create", 2, 1), ("set_manager", 0, 2), ("delete", 1, None)],
    depth=3,
)
# An admin promoted, then demoted, and then the last admin demoted, while a trip waits on
# a step that falls to the admins.
@example(
    ops=[
        ("create", 0, None),
        ("create", 1, 0),
        ("deactivate", 0, None),
        ("create", 2, None),
        ("promote", 2, None),
        ("request_trip", 1, None),
        ("demote", 2, None),
        ("demote", FOUNDER, None),
    ],
    depth=1,
)
def test_incremental_maintenance_equals_a_full_rebuild(db, ops, depth):
    with transaction.atomic():
        company = Company.objects.create(
            name="Prop", slug="prop", approvals_through_idp=True, auto_approval_processes=True,
            approval_chain_depth=depth,
        )  # fmt: skip
        founder = User.objects.create_user("admin@prop.example", None, company=company, role=User.Role.ADMIN)
        people: dict[int, User] = {FOUNDER: founder}
        for op in ops:
            apply(company, people, op)
        incremental = process_snapshot(company)
        waiting = trips_snapshot(company)
        assert not ApprovalStep.objects.filter(process__company=company, approvers__isnull=True).exists()
        result = rebuild_approval_processes(company=company)
        assert not result.changed, f"full rebuild changed {result}"
        assert result.trips_reassigned == 0, "a full rebuild moved pending trips"
        assert process_snapshot(company) == incremental
        assert trips_snapshot(company) == waiting
        transaction.set_rollback(True)
