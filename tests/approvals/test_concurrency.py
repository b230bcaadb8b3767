"""Two approvers deciding the same trip at the same moment produce one decision
(row lock in approve_trip/decline_trip). Needs PostgreSQL: SQLite serialises writers anyway."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections

from approvals.models import Trip, TripEvent
from approvals.services.manual_processes import save_process
from approvals.services.trips import DecisionError, approve_trip, create_trip, decline_trip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent decisions need PostgreSQL row locks: set DATABASE_URL to a PostgreSQL database")


def race(*decisions):
    """Run the decisions in threads released at the same instant; return their outcomes."""
    barrier = threading.Barrier(len(decisions))
    outcomes: list[str] = []

    def run(decide):
        try:
            barrier.wait()
            decide()
            outcomes.append("decided")
        except DecisionError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(d,)) for d in decisions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.parametrize("attempt", range(5))
def test_an_approval_and_a_decline_at_once_produce_one_decision(company, traveller, acme_admin, make_person, attempt):
    first, second = make_person("first"), make_person("second")
    save_process(company=company, name="Two", kind="manual", requesters=[traveller], steps=[[first, second]])
    trip = create_trip(
        traveller=traveller, requested_by=traveller, destination="Rome", start_date=date(2027, 1, 1),
        end_date=date(2027, 1, 2), purpose="x", estimated_cost=Decimal("1"), currency="EUR",
    )  # fmt: skip
    outcomes = race(
        lambda: approve_trip(trip=Trip.objects.get(pk=trip.pk), approver=first, step=1),
        lambda: decline_trip(trip=Trip.objects.get(pk=trip.pk), approver=second, comment="no", step=1),
    )
    assert outcomes == ["decided", "refused"]
    decisions = TripEvent.objects.filter(trip=trip, kind__in=["approved", "declined"])
    assert decisions.count() == 1
    trip.refresh_from_db()
    assert trip.status == decisions.get().kind
    assert not trip.current_approvers.exists()


def test_two_approvals_of_step_one_advance_the_trip_once(company, traveller, make_person):
    first, second, final = make_person("first"), make_person("second"), make_person("final")
    save_process(
        company=company, name="Two steps", kind="manual", requesters=[traveller], steps=[[first, second], [final]]
    )
    trip = create_trip(
        traveller=traveller, requested_by=traveller, destination="Rome", start_date=date(2027, 1, 1),
        end_date=date(2027, 1, 2), purpose="x", estimated_cost=Decimal("1"), currency="EUR",
    )  # fmt: skip
    outcomes = race(
        lambda: approve_trip(trip=Trip.objects.get(pk=trip.pk), approver=first, step=1),
        lambda: approve_trip(trip=Trip.objects.get(pk=trip.pk), approver=second, step=1),
    )
    assert outcomes == ["decided", "refused"]
    trip.refresh_from_db()
    assert (trip.status, trip.current_step) == ("pending", 2)
    assert list(trip.current_approvers.all()) == [final]
    assert TripEvent.objects.filter(trip=trip, kind="step_approved").count() == 1


def test_a_decision_during_a_reassignment_never_leaves_the_trip_with_the_wrong_steps_approvers(
    company, traveller, make_person, monkeypatch
):
    from approvals.services import routing

    first, replacement, final = make_person("first"), make_person("replacement"), make_person("final")
    process = save_process(
        company=company, name="Two steps", kind="manual", requesters=[traveller], steps=[[first], [final]]
    )
    trip = create_trip(
        traveller=traveller, requested_by=traveller, destination="Rome", start_date=date(2027, 1, 1),
        end_date=date(2027, 1, 2), purpose="x", estimated_cost=Decimal("1"), currency="EUR",
    )  # fmt: skip
    trips_read, decided = threading.Event(), threading.Event()
    real = routing.current_step_approvers

    def slow(*args, **kwargs):
        # The reassignment has read the pending trips; let the approver act before it writes.
        trips_read.set()
        decided.wait(timeout=3)
        return real(*args, **kwargs)

    monkeypatch.setattr(routing, "current_step_approvers", slow)

    def reassign():
        try:
            save_process(
                company=company, process=process, name="Two steps", kind="manual", requesters=[traveller],
                steps=[[replacement], [final]],
            )  # fmt: skip
        finally:
            trips_read.set()
            connections.close_all()

    def approve():
        try:
            trips_read.wait(timeout=10)
            approve_trip(trip=Trip.objects.get(pk=trip.pk), approver=first, step=1)
        except DecisionError:
            pass  # the reassignment went first: first is no longer the approver
        finally:
            decided.set()
            connections.close_all()

    threads = [threading.Thread(target=reassign), threading.Thread(target=approve)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    trip.refresh_from_db()
    expected = {1: [replacement], 2: [final]}[trip.current_step]
    assert list(trip.current_approvers.all()) == expected
