"""Trips pages: the traveller's list and form, a trip's page with its decision forms, the queue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import Trip
from approvals.services.manual_processes import save_process
from approvals.services.trips import create_trip

FORM = {
    "destination": "Lisbon",
    "start_date": "2027-03-01",
    "end_date": "2027-03-04",
    "purpose": "Customer visit",
    "estimated_cost": "500",
    "currency": "eur",
    "flight_cabin": "",
    "hotel_price_per_night": "",
}


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def manager(make_person, company):
    return make_person("manny")


@pytest.fixture
def managed(company, traveller, manager, acme_admin):
    """Tom's trips are approved by Manny (a manual process)."""
    save_process(company=company, name="Tom's", kind="manual", requesters=[traveller], steps=[[manager]])
    return traveller


def make_trip(traveller, **extra):
    return create_trip(
        traveller=traveller, requested_by=traveller, destination=extra.pop("destination", "Lisbon"),
        start_date=date(2027, 3, 1), end_date=date(2027, 3, 4), purpose="Visit", estimated_cost=Decimal("100"),
        currency="EUR", **extra,
    )  # fmt: skip


# --- New trip ---------------------------------------------------------------------------


def test_a_traveller_requests_a_trip_that_waits_for_approval(client, managed, manager):
    response = login(client, managed).post("/trips/new/", FORM)
    trip = Trip.objects.get()
    assert response.status_code == 302
    assert response.url == f"/trips/{trip.pk}/"
    assert (trip.traveller, trip.requested_by, trip.currency, trip.status) == (managed, managed, "EUR", "pending")
    assert list(trip.current_approvers.all()) == [manager]
    page = client.get(response.url)
    assert "Waiting for approval" in page.content.decode()
    assert "Manny" in page.content.decode()


def test_an_admin_requests_a_trip_on_someones_behalf(client, acme_admin, managed):
    response = login(client, acme_admin).post("/trips/new/", {**FORM, "traveller": str(managed.pk)})
    assert response.status_code == 302
    trip = Trip.objects.get()
    assert (trip.traveller, trip.requested_by) == (managed, acme_admin)


def test_a_traveller_cannot_request_for_someone_else(client, traveller, acme_admin):
    login(client, traveller).post("/trips/new/", {**FORM, "traveller": str(acme_admin.pk)})
    assert Trip.objects.get().traveller == traveller


def test_an_admin_cannot_pick_another_companys_person(client, acme_admin, other_admin):
    response = login(client, acme_admin).post("/trips/new/", {**FORM, "traveller": str(other_admin.pk)})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Trip.objects.exists()


def test_invalid_trip_input_shows_errors_next_to_the_fields_and_keeps_the_input(client, traveller):
    bad = {**FORM, "end_date": "2027-02-01", "currency": "QQQ", "estimated_cost": "-5"}
    response = login(client, traveller).post("/trips/new/", bad)
    html = response.content.decode()
    assert response.status_code == 400
    assert "The trip can&#x27;t end before it starts." in html
    assert 'value="Lisbon"' in html
    assert not Trip.objects.exists()


def test_the_service_rules_surface_as_form_errors(client, traveller, company):
    from travelportal.companies.models import TravelPolicy

    traveller.travel_policy = TravelPolicy.objects.create(
        company=company, name="Strict", max_trip_cost=Decimal("10"), allow_out_of_policy=False
    )
    traveller.save()
    response = login(client, traveller).post("/trips/new/", {**FORM, "currency": "QQQ"})
    assert response.status_code == 400
    assert "currency" in response.content.decode()
    response = client.post("/trips/new/", FORM)
    assert response.status_code == 400
    assert "doesn&#x27;t allow out-of-policy" in response.content.decode()
    assert not Trip.objects.exists()


def test_the_new_trip_page_needs_a_signed_in_company_member(client, staff_user):
    assert client.get("/trips/new/").url.startswith("/accounts/login/")
    assert login(client, staff_user).get("/trips/new/").status_code == 403
    assert client.put("/trips/new/").status_code == 405


# --- Trip page and decisions ----------------------------------------------------------------


def test_the_approver_approves_from_the_trip_page(client, managed, manager, mailoutbox):
    trip = make_trip(managed)
    page = login(client, manager).get(f"/trips/{trip.pk}/")
    assert "Your decision" in page.content.decode()
    response = client.post(f"/trips/{trip.pk}/approve/", {"step": "1", "comment": "Enjoy"})
    assert response.status_code == 302
    trip.refresh_from_db()
    assert trip.status == "approved"
    assert trip.events.last().comment == "Enjoy"


def test_declining_needs_a_comment(client, managed, manager):
    trip = make_trip(managed)
    response = login(client, manager).post(f"/trips/{trip.pk}/decline/", {"step": "1", "comment": ""})
    assert response.status_code == 400
    assert "Say why you decline the trip." in response.content.decode()
    trip.refresh_from_db()
    assert trip.status == "pending"
    response = client.post(f"/trips/{trip.pk}/decline/", {"step": "1", "comment": "No budget"})
    trip.refresh_from_db()
    assert trip.status == "declined"


def test_a_decision_with_a_broken_step_is_refused(client, managed, manager):
    trip = make_trip(managed)
    response = login(client, manager).post(f"/trips/{trip.pk}/approve/", {"step": "x"})
    assert response.status_code == 400
    trip.refresh_from_db()
    assert trip.status == "pending"


def test_a_second_decision_is_reported_not_applied(client, managed, manager, acme_admin):
    trip = make_trip(managed)
    login(client, manager).post(f"/trips/{trip.pk}/approve/", {"step": "1"})
    response = login(client, acme_admin).post(f"/trips/{trip.pk}/decline/", {"step": "1", "comment": "no"}, follow=True)
    assert "already approved" in response.content.decode()
    trip.refresh_from_db()
    assert trip.status == "approved"


def test_a_colleague_who_is_not_the_approver_gets_403_and_nothing_changes(client, managed, manager, make_person):
    trip = make_trip(managed)
    # The traveller sees their trip but can't decide it.
    assert login(client, managed).get(f"/trips/{trip.pk}/").status_code == 200
    assert client.post(f"/trips/{trip.pk}/approve/", {"step": "1"}).status_code == 403
    trip.refresh_from_db()
    assert trip.status == "pending"


def test_a_colleague_without_a_part_in_the_trip_does_not_see_it(client, managed, make_person):
    trip = make_trip(managed)
    stranger = make_person("stranger")
    assert login(client, stranger).get(f"/trips/{trip.pk}/").status_code == 404
    assert client.post(f"/trips/{trip.pk}/approve/", {"step": "1"}).status_code == 404


def test_another_companys_trip_is_a_404(client, managed, other_admin):
    trip = make_trip(managed)
    login(client, other_admin)
    assert client.get(f"/trips/{trip.pk}/").status_code == 404
    assert client.post(f"/trips/{trip.pk}/approve/", {"step": "1"}).status_code == 404
    trip.refresh_from_db()
    assert trip.status == "pending"


def test_trip_pages_send_anonymous_visitors_to_sign_in_and_refuse_wrong_methods(client, managed, manager):
    trip = make_trip(managed)
    assert client.get(f"/trips/{trip.pk}/").url.startswith("/accounts/login/")
    assert client.post(f"/trips/{trip.pk}/approve/", {"step": "1"}).url.startswith("/accounts/login/")
    login(client, manager)
    assert client.get(f"/trips/{trip.pk}/approve/").status_code == 405
    assert client.post(f"/trips/{trip.pk}/").status_code == 405
    assert client.get("/trips/not-a-uuid/").status_code == 404


# --- Lists -------------------------------------------------------------------------------------


def test_the_trip_list_shows_only_my_trips_unless_an_admin_asks_for_all(client, managed, acme_admin):
    make_trip(managed, destination="Porto")
    make_trip(acme_admin, destination="Oslo")
    html = login(client, managed).get("/trips/?all=1").content.decode()
    assert "Porto" in html and "Oslo" not in html
    html = login(client, acme_admin).get("/trips/").content.decode()
    assert "Oslo" in html and "Porto" not in html
    html = client.get("/trips/?all=1").content.decode()
    assert "Oslo" in html and "Porto" in html


def test_the_queue_lists_what_waits_for_me_and_approves_from_it(client, managed, manager, other_admin):
    trip = make_trip(managed, destination="Porto")
    html = login(client, manager).get("/approvals/queue/").content.decode()
    assert "Porto" in html
    response = client.post(f"/trips/{trip.pk}/approve/", {"step": "1", "next": "queue"})
    assert response.url == "/approvals/queue/"
    assert "Porto" not in client.get("/approvals/queue/").content.decode()
    assert "Porto" not in login(client, other_admin).get("/approvals/queue/").content.decode()


def test_lists_need_sign_in_and_get(client, traveller):
    for url in ("/trips/", "/approvals/queue/"):
        assert client.get(url).url.startswith("/accounts/login/")
    login(client, traveller)
    for url in ("/trips/", "/approvals/queue/"):
        assert client.post(url).status_code == 405


def _assert_constant_queries(client, url, add_more, limit):
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_more()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    sql = "\n".join(q["sql"] for q in many.captured_queries)
    assert len(many) == len(few), f"{len(few)} then {len(many)} queries:\n{sql}"
    assert len(many) <= limit, sql


def test_the_trip_list_runs_a_constant_number_of_queries(client, managed, acme_admin):
    make_trip(managed)
    login(client, acme_admin)
    _assert_constant_queries(client, "/trips/?all=1", lambda: [make_trip(managed) for _ in range(10)], 10)


def test_the_queue_runs_a_constant_number_of_queries(client, managed, manager, acme_admin):
    make_trip(managed)
    login(client, manager)
    _assert_constant_queries(client, "/approvals/queue/", lambda: [make_trip(managed) for _ in range(10)], 10)
    login(client, acme_admin)
    _assert_constant_queries(client, "/approvals/queue/", lambda: [make_trip(managed) for _ in range(10)], 12)
