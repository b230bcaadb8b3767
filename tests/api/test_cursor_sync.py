"""Cursor syncs (issue 23, part 4): every change once, deletions as tombstones, old cursors
still accepted; see travelportal.api.pagination."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from approvals.models import ApprovalProcess, Trip, TripEvent
from approvals.services.manual_processes import save_process
from approvals.services.trips import approve_trip, create_trip
from tests.api.conftest import assert_problem
from travelportal.companies.models import CostCentre, InvoiceProfile, TravelPolicy, User
from travelportal.companies.people import delete_person

# A cursor shows committed changes only (travelportal.companies.changes): each write here
# commits on its own, as a request's would.
pytestmark = pytest.mark.django_db(transaction=True)


def sync(api, path: str, cursor: str = "", limit: int = 2) -> tuple[list[dict], str]:
    """Every row a cursor walk of ``path`` from ``cursor`` gives, page by page, and the
    cursor to keep for the next sync."""
    envelope = path.rsplit("/", 1)[1]
    rows: list[dict] = []
    while True:
        response = api.get(f"{path}?limit={limit}&cursor={cursor}")
        assert response.status_code == 200, response.content
        page = response.json()
        rows += page[envelope]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return rows, cursor


def ids(rows: list[dict]) -> list[str]:
    return [str(row["id"]) for row in rows]


def old_cursor(moment: dt.datetime, pk) -> str:
    """A cursor as the API issued them before the change sequence: a time and an id."""
    return base64.urlsafe_b64encode(json.dumps([moment.isoformat(), str(pk)]).encode()).decode().rstrip("=")


def _trip(traveller, destination: str) -> Trip:
    return create_trip(
        traveller=traveller,
        requested_by=traveller,
        destination=destination,
        start_date=dt.date(2030, 7, 1),
        end_date=dt.date(2030, 7, 2),
        purpose="Work",
        estimated_cost=Decimal("10.00"),
        currency="EUR",
    )


def _change_existing(envelope: str, world: dict):
    """Change the world's row of the list; returns it."""
    if envelope == "cost_centers":
        row = world["cost_center"]
        row.name = "Field sales"
        row.save(update_fields=["name", "updated_at"])
    elif envelope == "profiles":
        row = world["profile"]
        row.vat_number = "DE123"
        row.save(update_fields=["vat_number", "updated_at"])
    elif envelope == "travel_policies":
        row = world["policy"]
        row.max_trip_cost = Decimal("900.00")
        row.save(update_fields=["max_trip_cost", "updated_at"])
    elif envelope == "users":
        row = world["traveller"]
        row.title = "Engineer"
        row.save(update_fields=["title", "updated_at"])
    elif envelope == "approval_processes":
        row = world["process"]
        save_process(
            company=row.company,
            process=row,
            name="Renamed",
            kind="manual",
            requesters=[world["traveller"]],
            steps=[[world["admin"]]],
        )
    else:
        row = world["trip"]
        approve_trip(trip=row, approver=world["admin"])
    return row


def _create_new(envelope: str, world: dict):
    company = world["admin"].company
    if envelope == "cost_centers":
        return CostCentre.objects.create(company=company, name="Marketing")
    if envelope == "profiles":
        return InvoiceProfile.objects.create(company=company, name="Acme Ltd")
    if envelope == "travel_policies":
        return TravelPolicy.objects.create(company=company, name="Executive")
    if envelope == "users":
        return User.objects.create_user("new@acme.example", None, company=company)
    if envelope == "approval_processes":
        return save_process(company=company, name="More", kind="manual", requesters=[], steps=[[world["admin"]]])
    return _trip(world["traveller"], "Porto")


SYNCED = ["cost_centers", "profiles", "travel_policies", "users", "approval_processes", "trips"]


@pytest.mark.parametrize("envelope", SYNCED)
def test_a_second_sync_sees_only_what_changed_after_the_first(envelope, api, world):
    path = f"/api/{envelope}"
    first, cursor = sync(api, path)
    assert sorted(ids(first)) == sorted(set(ids(first))) and ids(first)
    assert sync(api, path, cursor)[0] == []

    changed = _change_existing(envelope, world)
    created = _create_new(envelope, world)
    second, cursor = sync(api, path, cursor)
    assert ids(second) == [str(changed.pk), str(created.pk)]

    assert sync(api, path, cursor)[0] == []


def test_a_deleted_person_appears_once_as_a_tombstone(api, company, traveller, acme_admin, other_admin):
    _, cursor = sync(api, "/api/users")
    delete_person(user=traveller)
    delete_person(user=other_admin)
    traveller.refresh_from_db()

    changes, cursor = sync(api, "/api/users", cursor)
    assert changes == [{"id": str(traveller.pk), "deleted_at": changes[0]["deleted_at"]}]
    assert parse_datetime(changes[0]["deleted_at"]) == traveller.deleted_at
    assert sync(api, "/api/users", cursor)[0] == []

    everything, _ = sync(api, "/api/users")
    assert ids(everything) == [str(acme_admin.pk), str(traveller.pk)]
    assert everything[0]["user_name"] == "alice@acme.example" and "deleted_at" not in everything[0]


def test_offset_paging_lists_deleted_people_only_when_asked(api, traveller, acme_admin):
    delete_person(user=traveller)
    live = api.get("/api/users").json()
    assert live["total"] == 1 and ids(live["users"]) == [str(acme_admin.pk)]

    with_deleted = api.get("/api/users?include_deleted=true").json()
    assert with_deleted["total"] == 2
    assert {u["id"]: set(u) for u in with_deleted["users"]}[str(traveller.pk)] == {"id", "deleted_at"}
    assert_problem(api.get(f"/api/users/{traveller.pk}"), 404)


def test_a_bulk_update_is_seen_by_the_next_sync(api, company):
    centres = [CostCentre.objects.create(company=company, name=f"CC {n}") for n in range(3)]
    _, cursor = sync(api, "/api/cost_centers")

    response = api.patch("/api/cost_centers/bulk_update", {"id_list": [c.pk for c in centres[:2]], "archive": True})
    assert response.json() == {"updated_count": 2}
    # A bare UPDATE that leaves updated_at alone is a change too.
    CostCentre.objects.filter(pk=centres[2].pk).update(name="CC two")

    changes, cursor = sync(api, "/api/cost_centers", cursor)
    assert sorted(ids(changes)) == sorted(str(c.pk) for c in centres)
    assert [(c["name"], c["archived"]) for c in changes][-1] == ("CC two", False)
    assert all(c["archived"] for c in changes if c["name"] != "CC two")
    assert sync(api, "/api/cost_centers", cursor)[0] == []


def test_an_old_cursor_goes_on_after_its_time_and_hands_out_a_new_one(api, company):
    centres = [CostCentre.objects.create(company=company, name=f"CC {n}") for n in range(3)]
    first = CostCentre.objects.get(pk=centres[0].pk)

    page = api.get(f"/api/cost_centers?cursor={old_cursor(first.updated_at, first.pk)}").json()
    assert ids(page["cost_centers"]) == [str(c.pk) for c in centres[1:]]
    assert sync(api, "/api/cost_centers", page["next_cursor"])[0] == []

    last = CostCentre.objects.get(pk=centres[2].pk)
    past_everything = api.get(f"/api/cost_centers?cursor={old_cursor(last.updated_at, last.pk)}").json()
    assert past_everything["cost_centers"] == [] and past_everything["has_more"] is False
    CostCentre.objects.create(company=company, name="Later")
    assert [c["name"] for c in sync(api, "/api/cost_centers", past_everything["next_cursor"])[0]] == ["Later"]


def test_an_old_trip_cursor_goes_on_after_the_trips_modification_time(api, world):
    later = _trip(world["traveller"], "Porto")
    trip = Trip.objects.get(pk=world["trip"].pk)
    page = api.get(f"/api/trips?cursor={old_cursor(trip.modified_at, trip.pk)}").json()
    assert ids(page["trips"]) == [str(later.pk)]


@pytest.mark.parametrize(
    "token",
    [
        base64.urlsafe_b64encode(b'{"after": "7"}').decode(),
        base64.urlsafe_b64encode(b'{"after": -1}').decode(),
        base64.urlsafe_b64encode(b'["not a time", "1"]').decode(),
        old_cursor(dt.datetime(2030, 1, 1, tzinfo=dt.UTC), "not-a-number"),
    ],
    ids=["after-not-a-number", "after-negative", "old-bad-time", "old-bad-id"],
)
def test_a_malformed_cursor_of_either_kind_is_a_field_problem(api, token):
    body = assert_problem(api.get(f"/api/cost_centers?cursor={token}"), 400)
    assert body["errors"][0]["field"] == "cursor"


def test_a_list_walked_by_time_refuses_a_change_cursor(api, world):
    _, cursor = sync(api, "/api/cost_centers")
    body = assert_problem(api.get(f"/api/provisioning_events?cursor={cursor}"), 400)
    assert body["errors"][0]["field"] == "cursor"


def test_a_decision_moves_the_trip_to_the_end_of_the_walk_and_its_modified_time(api, world):
    trip = world["trip"]
    later = _trip(world["traveller"], "Porto")
    before, cursor = sync(api, "/api/trips")
    assert ids(before) == [str(trip.pk), str(later.pk)]

    api.post(f"/api/approvals/{trip.pk}/approve", {"approver_id": str(world["admin"].pk)})
    changes, _ = sync(api, "/api/trips", cursor)
    assert ids(changes) == [str(trip.pk)] and changes[0]["status"] == "approved"
    latest = TripEvent.objects.filter(trip=trip).order_by("-created_at").first()
    assert parse_datetime(changes[0]["modified"]) == latest.created_at
    assert Trip.objects.get(pk=trip.pk).modified_at == latest.created_at


def test_a_process_changed_by_a_bulk_update_is_seen(api, world):
    _, cursor = sync(api, "/api/approval_processes")
    ApprovalProcess.objects.filter(pk=world["process"].pk).update(is_active=False)
    assert ids(sync(api, "/api/approval_processes", cursor)[0]) == [str(world["process"].pk)]


def _queries(api, path: str) -> tuple[int, list[str], dict]:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return len(queries), [q["sql"] for q in queries.captured_queries], response.json()


@pytest.mark.parametrize("kind", ["change", "old"])
def test_a_cursor_page_with_tombstones_runs_the_same_queries_for_1_row_and_for_20(kind, api, company, acme_admin):
    api.get("/api/users")  # The key's first use writes last_used_at once; count the steady state.
    start = User.objects.get(pk=acme_admin.pk)
    if kind == "change":
        _, cursor = sync(api, "/api/users")
    else:
        cursor = old_cursor(start.updated_at, start.pk)

    def grow(count: int) -> None:
        for n in range(count):
            person = User.objects.create_user(f"p{n}-{count}@acme.example", None, company=company)
            if n % 2:
                delete_person(user=person)

    grow(1)
    one, one_sql, body = _queries(api, f"/api/users?limit=50&cursor={cursor}")
    assert len(body["users"]) == 1
    grow(20)
    many, many_sql, body = _queries(api, f"/api/users?limit=50&cursor={cursor}")
    assert len(body["users"]) == 21 and sum("deleted_at" in u for u in body["users"]) == 10
    assert one == many, "\n".join(["-- 1 row", *one_sql, "-- 21 rows", *many_sql])
