"""Groups as the requesters of a manual approval process: people join and leave the process
as their memberships change (through the coalesced rebuild, one for a burst of PATCHes),
and a group deleted over SCIM leaves a process with no requesters inactive, not gone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from approvals import tasks
from approvals.models import ApprovalProcess, PendingChainChange, Trip
from approvals.services import chain_rebuilds
from approvals.services.manual_processes import save_process
from approvals.services.routing import applicable_process, applicable_processes
from approvals.services.trips import create_trip
from travelportal.companies.groups import GroupChange, GroupData, create_group, delete_group, edit_group
from travelportal.companies.models import Group


@pytest.fixture
def rebuilds(monkeypatch):
    """The people each coalesced rebuild was asked about."""
    calls = []
    real = chain_rebuilds.rebuild_approval_processes

    def recording(*, company, user_ids=None):
        calls.append(None if user_ids is None else set(user_ids))
        return real(company=company, user_ids=user_ids)

    monkeypatch.setattr(chain_rebuilds, "rebuild_approval_processes", recording)
    return calls


@pytest.fixture
def enqueued(monkeypatch):
    """Rebuild tasks enqueued, kept instead of run."""
    calls = []
    monkeypatch.setattr(tasks.process_chain_changes, "apply_async", lambda args, **kw: calls.append(args))
    return calls


@pytest.fixture
def finance(make_person):
    return make_person("fiona", family_name="Finance")


@pytest.fixture
def sales_group(company):
    return create_group(company=company, data=GroupData(display_name="Sales"))


@pytest.fixture
def sales_process(company, sales_group, finance):
    """Sales' trips are approved by Fiona; the process names only the group."""
    return save_process(
        company=company, name="Sales trips", kind="manual", requesters=[], requester_groups=[sales_group],
        steps=[[finance]],
    )  # fmt: skip


@pytest.fixture
def default_process(company, acme_admin):
    return save_process(company=company, name="Default", kind="default", requesters=[], steps=[[acme_admin]])


def add(group: Group, *people, capture=None) -> None:
    """A SCIM PATCH adding members, committed (the coalesced rebuild runs in-process after it)."""
    change = GroupChange(add=[str(p.pk) for p in people])
    if capture is None:
        edit_group(group=group, edit=lambda fresh: change)
        return
    with capture(execute=True), transaction.atomic():
        edit_group(group=group, edit=lambda fresh: change)


def remove(group: Group, *people, capture=None) -> None:
    change = GroupChange(remove=[str(p.pk) for p in people])
    if capture is None:
        edit_group(group=group, edit=lambda fresh: change)
        return
    with capture(execute=True), transaction.atomic():
        edit_group(group=group, edit=lambda fresh: change)


def request(traveller) -> Trip:
    return create_trip(
        traveller=traveller, requested_by=traveller, destination="Lisbon", start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 4), purpose="Customer visit", estimated_cost=Decimal("500"), currency="EUR",
    )  # fmt: skip


def test_a_member_of_a_requester_group_is_a_requester_and_leaves_with_the_group(
    sales_process, sales_group, default_process, traveller
):
    assert applicable_process(traveller) == default_process
    add(sales_group, traveller)
    assert applicable_process(traveller) == sales_process
    remove(sales_group, traveller)
    assert applicable_process(traveller) == default_process


def test_the_oldest_manual_process_wins_whether_it_names_the_person_or_their_group(
    company, sales_process, sales_group, traveller, acme_admin
):
    named = save_process(company=company, name="Tom's", kind="manual", requesters=[traveller], steps=[[acme_admin]])
    add(sales_group, traveller)
    assert applicable_process(traveller) == sales_process
    sales_process.delete()
    assert applicable_process(traveller) == named


def test_routing_costs_the_same_queries_for_one_traveller_and_for_many_in_groups(
    company, sales_process, sales_group, default_process, make_person
):
    one = make_person()
    add(sales_group, one)
    with CaptureQueriesContext(connection) as few:
        applicable_processes(company=company, traveller_ids=[one.pk])
    many = [make_person() for _ in range(20)]
    others = create_group(company=company, data=GroupData(display_name="Others", members=[str(p.pk) for p in many]))
    save_process(
        company=company, name="Others", kind="manual", requesters=many[:3], requester_groups=[others],
        steps=[[one]],
    )  # fmt: skip
    add(sales_group, *many[:10])
    with CaptureQueriesContext(connection) as lots:
        routed = applicable_processes(company=company, traveller_ids=[one.pk, *(p.pk for p in many)])
    sql = "\n".join(q["sql"] for q in lots.captured_queries)
    assert len(lots) == len(few), f"{len(few)} then {len(lots)} queries:\n{sql}"
    assert routed[one.pk] == sales_process
    assert {routed[p.pk] for p in many[:10]} == {sales_process}


def test_a_pending_trip_follows_its_traveller_into_and_out_of_a_group_process(
    sales_process, sales_group, default_process, traveller, finance, acme_admin, django_capture_on_commit_callbacks
):
    trip = request(traveller)
    assert (trip.process, list(trip.current_approvers.all())) == (default_process, [acme_admin])

    add(sales_group, traveller, capture=django_capture_on_commit_callbacks)
    trip.refresh_from_db()
    assert (trip.process, list(trip.current_approvers.all())) == (sales_process, [finance])
    assert not PendingChainChange.objects.exists()

    remove(sales_group, traveller, capture=django_capture_on_commit_callbacks)
    trip.refresh_from_db()
    assert (trip.process, list(trip.current_approvers.all())) == (default_process, [acme_admin])


def test_a_burst_of_membership_patches_runs_one_rebuild(
    company, sales_process, sales_group, default_process, make_person, finance, enqueued, rebuilds,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    people = [make_person() for _ in range(6)]
    trips = [request(person) for person in people]
    for person in people:
        add(sales_group, person, capture=django_capture_on_commit_callbacks)
    remove(sales_group, people[0], capture=django_capture_on_commit_callbacks)

    assert enqueued == [[company.pk]]
    assert rebuilds == []
    tasks.process_chain_changes.apply(args=[company.pk])
    assert rebuilds == [{p.pk for p in people}]
    for trip in trips:
        trip.refresh_from_db()
    assert [t.process for t in trips] == [default_process] + [sales_process] * 5
    assert [list(t.current_approvers.all()) for t in trips[1:]] == [[finance]] * 5
    assert not PendingChainChange.objects.exists()


def test_deleting_the_only_requester_group_keeps_the_process_inactive_and_moves_its_trips(
    sales_process, sales_group, default_process, traveller, acme_admin, django_capture_on_commit_callbacks
):
    add(sales_group, traveller)
    trip = request(traveller)
    assert trip.process == sales_process

    with django_capture_on_commit_callbacks(execute=True):
        delete_group(group=sales_group)

    sales_process.refresh_from_db()
    assert sales_process.is_active is False
    assert not sales_process.requester_groups.exists()
    assert not ApprovalProcess.requester_groups.through.objects.exists()
    trip.refresh_from_db()
    assert (trip.process, list(trip.current_approvers.all())) == (default_process, [acme_admin])


def test_a_process_with_other_requesters_stays_active_when_one_group_goes(
    company, sales_process, sales_group, traveller, acme_admin
):
    other = create_group(company=company, data=GroupData(display_name="Support"))
    both = save_process(
        company=company, name="Both", kind="manual", requesters=[], requester_groups=[sales_group, other],
        steps=[[acme_admin]],
    )  # fmt: skip
    named = save_process(
        company=company, name="Named", kind="manual", requesters=[traveller], requester_groups=[sales_group],
        steps=[[acme_admin]],
    )  # fmt: skip
    delete_group(group=sales_group)
    for process in (sales_process, both, named):
        process.refresh_from_db()
    assert (sales_process.is_active, both.is_active, named.is_active) == (False, True, True)
    assert list(both.requester_groups.all()) == [other]
    assert list(named.requesters.all()) == [traveller]


def test_an_inactive_process_applies_to_nobody_until_it_has_requesters_again(
    company, sales_process, sales_group, default_process, traveller, finance
):
    delete_group(group=sales_group)
    sales_process.refresh_from_db()
    # A requester named directly while inactive (say, by support in Django admin) is not enough.
    sales_process.requesters.add(traveller)
    assert applicable_process(traveller) == default_process

    save_process(
        company=company, process=sales_process, name="Sales trips", kind="manual", requesters=[traveller],
        steps=[[finance]],
    )  # fmt: skip
    sales_process.refresh_from_db()
    assert sales_process.is_active is True
    assert applicable_process(traveller) == sales_process


def test_another_companys_group_is_refused_and_nothing_is_written(company, other_company, finance):
    theirs = create_group(company=other_company, data=GroupData(display_name="Theirs"))
    with pytest.raises(ValidationError) as error:
        save_process(
            company=company, name="Mine", kind="manual", requesters=[], requester_groups=[theirs], steps=[[finance]]
        )
    assert error.value.message_dict == {"requester_groups": ["Requester groups must be groups of the company."]}
    assert not ApprovalProcess.objects.exists()


def test_a_group_deleted_before_the_save_is_refused(company, sales_group, finance):
    stale = Group.objects.get(pk=sales_group.pk)
    delete_group(group=sales_group)
    with pytest.raises(ValidationError) as error:
        save_process(
            company=company, name="Late", kind="manual", requesters=[], requester_groups=[stale], steps=[[finance]]
        )
    assert error.value.message_dict == {"requester_groups": ["This group was deleted meanwhile: Sales."]}
    assert not ApprovalProcess.objects.exists()


def test_the_default_process_names_no_groups(company, sales_group, acme_admin):
    default = save_process(
        company=company, name="Default", kind="default", requesters=[], requester_groups=[sales_group],
        steps=[[acme_admin]],
    )  # fmt: skip
    assert not default.requester_groups.exists()


def test_the_database_refuses_another_companys_group_as_requesters(company, other_company, finance):
    process = save_process(company=company, name="Mine", kind="manual", requesters=[finance], steps=[[finance]])
    theirs = create_group(company=other_company, data=GroupData(display_name="Theirs"))
    with pytest.raises(IntegrityError), transaction.atomic():
        process.requester_groups.add(theirs)
    assert not process.requester_groups.exists()
