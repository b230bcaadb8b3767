"""The change sequence in the database (travelportal.companies.changes): every write
gives the row its transaction's number, later than any transaction before, whatever path
it takes, and the application cannot set it. The tests that compare numbers commit each
write on its own (``transaction=True``), since on PostgreSQL the writes of one
transaction share its number; tests/api/test_cursor_sync_concurrency.py checks what a
reader sees of transactions that commit late."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import import_module

import pytest
from django.db import connection
from django.utils import timezone

from approvals.models import ApprovalProcess, Trip, TripEvent
from approvals.services.trips import create_trip
from travelportal.companies import changes
from travelportal.companies.models import CostCentre, InvoiceProfile, TravelPolicy, User
from travelportal.companies.people import delete_person

pytestmark = pytest.mark.django_db

SYNCED = {
    "companies_user": User,
    "companies_costcentre": CostCentre,
    "companies_invoiceprofile": InvoiceProfile,
    "companies_travelpolicy": TravelPolicy,
    "approvals_trip": Trip,
    "approvals_approvalprocess": ApprovalProcess,
}


def installed_triggers() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        return set(cursor.fetchall())


def number(row) -> int:
    return type(row).objects.values_list("change_seq", flat=True).get(pk=row.pk)


def test_every_synced_table_is_numbered_after_all_migrations():
    # On SQLite a later migration that rebuilds one of these tables drops its triggers.
    installed = installed_triggers()
    for table, model in SYNCED.items():
        assert model._meta.db_table == table
        for name in changes.trigger_names(connection.vendor, table):
            assert (table, name) in installed, (table, name)
    assert ("approvals_tripevent", "tp_trip_modified_by_event") in installed


@pytest.mark.django_db(transaction=True)
def test_every_way_of_writing_a_row_gives_it_a_later_number(company):
    centre = CostCentre.objects.create(company=company, name="Sales")
    seen = [number(centre)]

    centre.name = "Field sales"
    centre.save()
    seen.append(number(centre))
    centre.save(update_fields=["updated_at"])
    seen.append(number(centre))
    CostCentre.objects.filter(pk=centre.pk).update(archived_at=timezone.now())
    seen.append(number(centre))
    CostCentre.objects.bulk_update([CostCentre(pk=centre.pk, name="Sales")], ["name"])
    seen.append(number(centre))
    # A save of a copy read before the last change sends an old number: it is replaced.
    stale = CostCentre.objects.get(pk=centre.pk)
    stale.change_seq = seen[0]
    stale.save()
    seen.append(number(centre))

    assert None not in seen and seen == sorted(set(seen)), seen


@pytest.mark.django_db(transaction=True)
def test_the_application_cannot_choose_a_number(company):
    centre = CostCentre.objects.create(company=company, name="Sales")
    CostCentre.objects.filter(pk=centre.pk).update(change_seq=1)
    assert number(centre) > 1
    CostCentre.objects.filter(pk=centre.pk).update(change_seq=2**62)
    assert number(centre) < 2**62


@pytest.mark.django_db(transaction=True)
def test_a_soft_delete_is_a_change(company, traveller, acme_admin):
    before = number(traveller)
    delete_person(user=traveller)
    assert number(traveller) > max(before, number(acme_admin))


@pytest.mark.django_db(transaction=True)
def test_rows_of_one_company_are_numbered_in_the_order_they_were_written(company, other_company):
    rows = [
        CostCentre.objects.create(company=company, name="A"),
        TravelPolicy.objects.create(company=other_company, name="B"),
        CostCentre.objects.create(company=other_company, name="C"),
        CostCentre.objects.create(company=company, name="D"),
    ]
    numbers = [number(row) for row in rows]
    assert numbers == sorted(numbers)


@pytest.mark.django_db(transaction=True)
def test_a_trip_event_moves_the_trips_modification_time_and_number(traveller):
    trip = create_trip(
        traveller=traveller,
        requested_by=traveller,
        destination="Rome",
        start_date=dt.date(2030, 1, 1),
        end_date=dt.date(2030, 1, 2),
        purpose="Work",
        estimated_cost=Decimal("1.00"),
        currency="EUR",
    )
    latest = TripEvent.objects.filter(trip=trip).order_by("-created_at", "-id").first()
    assert Trip.objects.get(pk=trip.pk).modified_at == latest.created_at
    before = number(trip)

    event = TripEvent.objects.create(trip=trip, kind=TripEvent.Kind.REASSIGNED, detail="Now waiting for Alice.")
    moved = Trip.objects.get(pk=trip.pk)
    assert moved.modified_at == event.created_at and number(trip) > before


@pytest.mark.django_db(transaction=True)
def test_an_event_older_than_the_trips_time_keeps_the_time_but_still_numbers_the_trip(traveller):
    trip = create_trip(
        traveller=traveller,
        requested_by=traveller,
        destination="Rome",
        start_date=dt.date(2030, 1, 1),
        end_date=dt.date(2030, 1, 2),
        purpose="Work",
        estimated_cost=Decimal("1.00"),
        currency="EUR",
    )
    future = timezone.now() + dt.timedelta(days=1)
    Trip.objects.filter(pk=trip.pk).update(modified_at=future)
    before = number(trip)
    TripEvent.objects.create(trip=trip, kind=TripEvent.Kind.REASSIGNED)
    assert Trip.objects.get(pk=trip.pk).modified_at == future and number(trip) > before


_companies_migration = import_module("travelportal.companies.migrations.0009_change_sequence")
_approvals_migration = import_module("approvals.migrations.0004_trip_modified_at_and_change_sequence")


@pytest.mark.django_db(transaction=True)
def test_the_migrations_remove_and_reinstall_the_numbering_and_number_existing_rows_in_order(company):
    older = CostCentre.objects.create(company=company, name="Older")
    newer = CostCentre.objects.create(company=company, name="Newer")
    # Renaming the older one makes it the later change, but backfilling orders by
    # updated_at (SQLite): put its time back first.
    CostCentre.objects.filter(pk=older.pk).update(updated_at=timezone.now() - dt.timedelta(days=1))

    with connection.schema_editor() as editor:
        _approvals_migration.remove(None, editor)
        _companies_migration.remove(None, editor)
    names = {name for table in SYNCED for name in changes.trigger_names(connection.vendor, table)}
    assert not {trigger for trigger in installed_triggers() if trigger[1] in names}
    CostCentre.objects.update(change_seq=None)

    with connection.schema_editor() as editor:
        _companies_migration.install(None, editor)
        _approvals_migration.install(None, editor)
    test_every_synced_table_is_numbered_after_all_migrations()
    if connection.vendor == "postgresql":
        # All take the migrating transaction's number, below every later change.
        assert number(older) == number(newer)
    else:
        assert number(older) < number(newer)
    latest = number(newer)
    CostCentre.objects.create(company=company, name="Later")
    assert number(CostCentre.objects.get(name="Later")) > latest
