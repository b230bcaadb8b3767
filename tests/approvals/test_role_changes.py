"""A change of role reaches approval chains through the coalesced rebuild, not the hourly
repair: an admin demoted leaves the steps that fall to the admins and the pending trips
waiting on them, and can no longer decide; someone promoted joins them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from approvals.models import ApprovalStep, PendingChainChange, ScheduledRebuild, Trip, TripEvent
from approvals.services import chain_rebuilds
from approvals.services.automatic_processes import rebuild_approval_processes
from approvals.services.manual_processes import save_process
from approvals.services.trips import NotAnApprover, approve_trip, create_trip, decline_trip
from tests.approvals.conftest import process_snapshot
from travelportal.companies.models import User
from travelportal.companies.signals import report_person_changes


@pytest.fixture
def rebuilds(monkeypatch):
    """The people each coalesced rebuild was asked about (None for a full rebuild)."""
    calls = []
    real = chain_rebuilds.rebuild_approval_processes

    def recording(*, company, user_ids=None):
        calls.append(None if user_ids is None else set(user_ids))
        return real(company=company, user_ids=user_ids)

    monkeypatch.setattr(chain_rebuilds, "rebuild_approval_processes", recording)
    return calls


@pytest.fixture
def deputy(make_person):
    """Acme's second admin, beside Alice."""
    return make_person("deputy", role=User.Role.ADMIN, family_name="Deputy")


def set_role(person: User, role: str, capture) -> None:
    """What a person writer does: save the role and report it, in one transaction; the
    coalesced rebuild task then runs in-process right after the commit."""
    with capture(execute=True), transaction.atomic():
        person.role = role
        person.save(update_fields=["role"])
        report_person_changes(company_id=person.company_id, changes={person.pk: ["role"]})


def request(traveller: User) -> Trip:
    return create_trip(
        traveller=traveller, requested_by=traveller, destination="Lisbon", start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 4), purpose="Customer visit", estimated_cost=Decimal("500"), currency="EUR",
    )  # fmt: skip


def fallback_approver_ids(company) -> set:
    steps = ApprovalStep.objects.filter(process__company=company, fallback_to_admins=True)
    return set(steps.values_list("approvers", flat=True))


def pending_approver_ids(company) -> set:
    return set(Trip.objects.for_company(company).pending().values_list("current_approvers", flat=True))


@pytest.fixture
def orphaned(automated, make_person, acme_admin, deputy):
    """Rita, whose manager left: her process's one step falls to the admins, and her trip
    waits for both of them."""
    boss = make_person("boss", is_active=False)
    rita = make_person("rita", manager=boss)
    rebuild_approval_processes(company=automated)
    trip = request(rita)
    assert process_snapshot(automated)[boss.pk][2] == ((frozenset({acme_admin.pk, deputy.pk}), True),)
    assert set(trip.current_approvers.all()) == {acme_admin, deputy}
    return boss, rita, trip


def test_a_demoted_admin_leaves_fallback_steps_and_pending_trips_after_the_coalesced_rebuild(
    automated, orphaned, acme_admin, deputy, rebuilds, django_capture_on_commit_callbacks
):
    boss, _rita, trip = orphaned
    set_role(deputy, User.Role.TRAVELLER, django_capture_on_commit_callbacks)
    # One incremental rebuild, for the demoted person alone, was enough.
    assert rebuilds == [{deputy.pk}]
    assert not PendingChainChange.objects.exists()
    assert not ScheduledRebuild.objects.exists()
    assert process_snapshot(automated)[boss.pk][2] == ((frozenset({acme_admin.pk}), True),)
    assert deputy.pk not in fallback_approver_ids(automated)
    assert deputy.pk not in pending_approver_ids(automated)
    assert list(trip.current_approvers.all()) == [acme_admin]
    assert trip.events.filter(kind=TripEvent.Kind.REASSIGNED, detail="Now waiting for Alice Admin.").exists()
    # And the incremental result is what a full rebuild makes of the same data.
    full = rebuild_approval_processes(company=automated)
    assert (full.changed, full.trips_reassigned) == (False, 0)


def test_a_demoted_admin_can_no_longer_decide(
    automated, orphaned, acme_admin, deputy, django_capture_on_commit_callbacks
):
    _boss, _rita, trip = orphaned
    set_role(deputy, User.Role.TRAVELLER, django_capture_on_commit_callbacks)
    demoted = User.objects.get(pk=deputy.pk)
    trip.refresh_from_db()
    assert not trip.can_be_decided_by(demoted)
    with pytest.raises(NotAnApprover, match="not an approver"):
        approve_trip(trip=trip, approver=demoted, step=1)
    with pytest.raises(NotAnApprover, match="not an approver"):
        decline_trip(trip=trip, approver=demoted, comment="No.", step=1)
    trip.refresh_from_db()
    assert (trip.status, trip.current_step) == (Trip.Status.PENDING, 1)
    assert not trip.events.filter(actor=demoted).exists()
    assert trip.can_be_decided_by(acme_admin)


def test_the_last_admin_demoted_leaves_no_step_and_no_trip_to_them(
    automated, make_person, acme_admin, django_capture_on_commit_callbacks
):
    boss = make_person("boss", is_active=False)
    rita = make_person("rita", manager=boss)
    rebuild_approval_processes(company=automated)
    trip = request(rita)
    assert list(trip.current_approvers.all()) == [acme_admin]
    set_role(acme_admin, User.Role.TRAVELLER, django_capture_on_commit_callbacks)
    # With no admin left nobody can take the step, so the chains rule gives no process.
    assert process_snapshot(automated) == {}
    assert acme_admin.pk not in pending_approver_ids(automated)
    with pytest.raises(NotAnApprover):
        approve_trip(trip=trip, approver=User.objects.get(pk=acme_admin.pk))
    full = rebuild_approval_processes(company=automated)
    assert (full.changed, full.trips_reassigned) == (False, 0)


def test_with_automation_off_a_demoted_admin_leaves_trips_whose_approver_left(
    company, make_person, acme_admin, deputy, traveller, django_capture_on_commit_callbacks
):
    gone = make_person("gone")
    save_process(company=company, name="Sales", kind="manual", requesters=[traveller], steps=[[gone]])
    User.objects.filter(pk=gone.pk).update(is_active=False)
    trip = request(traveller)
    assert set(trip.current_approvers.all()) == {acme_admin, deputy}
    set_role(deputy, User.Role.TRAVELLER, django_capture_on_commit_callbacks)
    assert list(trip.current_approvers.all()) == [acme_admin]
    with pytest.raises(NotAnApprover):
        approve_trip(trip=trip, approver=User.objects.get(pk=deputy.pk))


def test_a_demoted_admin_keeps_the_steps_they_hold_as_a_manager(
    automated, make_person, acme_admin, deputy, django_capture_on_commit_callbacks
):
    rita = make_person("rita", manager=deputy)
    rebuild_approval_processes(company=automated)
    trip = request(rita)
    set_role(deputy, User.Role.TRAVELLER, django_capture_on_commit_callbacks)
    assert process_snapshot(automated)[deputy.pk][2] == ((frozenset({deputy.pk}), False),)
    assert list(trip.current_approvers.all()) == [deputy]
    approve_trip(trip=trip, approver=User.objects.get(pk=deputy.pk), step=1)
    trip.refresh_from_db()
    assert trip.status == Trip.Status.APPROVED


def test_a_promoted_traveller_joins_fallback_steps_and_pending_trips(
    automated, orphaned, acme_admin, deputy, rebuilds, django_capture_on_commit_callbacks, make_person
):
    boss, _rita, trip = orphaned
    tom = make_person("tom", family_name="Traveller")
    set_role(tom, User.Role.ADMIN, django_capture_on_commit_callbacks)
    assert rebuilds == [{tom.pk}]
    assert process_snapshot(automated)[boss.pk][2] == ((frozenset({acme_admin.pk, deputy.pk, tom.pk}), True),)
    assert set(trip.current_approvers.all()) == {acme_admin, deputy, tom}
    approve_trip(trip=trip, approver=User.objects.get(pk=tom.pk), step=1)
    trip.refresh_from_db()
    assert trip.status == Trip.Status.APPROVED


def test_a_change_of_no_chain_field_schedules_no_rebuild(automated, deputy, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        deputy.title = "Head of travel"
        deputy.save(update_fields=["title"])
        assert report_person_changes(company_id=automated.pk, changes={deputy.pk: ["title"]}) == []
    assert not PendingChainChange.objects.exists()
