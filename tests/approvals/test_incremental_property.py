"""Property: whatever SCIM-like changes happen, the incrementally maintained processes equal
a full rebuild, and no step is ever left without an approver."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from approvals.models import ApprovalStep
from approvals.services.automatic_processes import rebuild_approval_processes
from approvals.services.chain_rebuilds import process_pending_chain_changes
from tests.approvals.conftest import process_snapshot
from travelportal.companies.models import Company, User
from travelportal.companies.signals import people_changed

POOL = 5

operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, POOL - 1), st.none() | st.integers(0, POOL - 1)),
        st.tuples(st.just("set_manager"), st.integers(0, POOL - 1), st.none() | st.integers(0, POOL - 1)),
        st.tuples(st.just("deactivate"), st.integers(0, POOL - 1), st.none()),
        st.tuples(st.just("reactivate"), st.integers(0, POOL - 1), st.none()),
        st.tuples(st.just("delete"), st.integers(0, POOL - 1), st.none()),
    ),
    max_size=25,
)


def apply(company: Company, people: dict[int, User], op: tuple) -> None:
    kind, index, other = op
    person = people.get(index)
    manager = people.get(other) if other is not None else None
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
        elif person is None:
            return
        elif kind == "set_manager":
            if manager is not None and manager.pk == person.pk:
                return  # the database refuses self-references; SCIM rejects them earlier
            person.manager = manager
            person.save(update_fields=["manager"])
        elif kind == "deactivate":
            person.is_active = False
            person.save(update_fields=["is_active"])
        elif kind == "reactivate":
            person.is_active = True
            person.save(update_fields=["is_active"])
        elif kind == "delete":
            person.deleted_at = timezone.now()
            person.is_active = False
            person.save(update_fields=["deleted_at", "is_active"])
        people_changed.send(sender=User, company_id=company.pk, user_ids=[person.pk])
    process_pending_chain_changes(company_id=company.pk)


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
def test_incremental_maintenance_equals_a_full_rebuild(db, ops, depth):
    with transaction.atomic():
        company = Company.objects.create(
            name="Prop", slug="prop", approvals_through_idp=True, auto_approval_processes=True,
            approval_chain_depth=depth,
        )  # fmt: skip
        User.objects.create_user("admin@prop.example", None, company=company, role=User.Role.ADMIN)
        people: dict[int, User] = {}
        for op in ops:
            apply(company, people, op)
        incremental = process_snapshot(company)
        assert not ApprovalStep.objects.filter(process__company=company, approvers__isnull=True).exists()
        result = rebuild_approval_processes(company=company)
        assert not result.changed, f"full rebuild changed {result}"
        assert process_snapshot(company) == incremental
        transaction.set_rollback(True)
