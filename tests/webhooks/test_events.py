"""Every event reaches the subscriptions listening to it, from where it happens (trips,
decisions, SCIM and Company Settings), only after the commit: nothing on a rollback,
nothing to another company, nothing the subscription did not ask for."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from approvals.models import TripEvent
from approvals.services.manual_processes import save_process
from approvals.services.routing import sync_pending_trips
from approvals.services.trips import approve_trip, create_trip, decline_trip
from travelportal.companies.catalogue import archive_catalogue_entries, create_catalogue_entry
from travelportal.companies.models import CostCentre, User
from travelportal.companies.people import PersonData, create_person, deactivate_person, delete_person
from travelportal.webhooks.models import Delivery, Subscription
from travelportal.webhooks.outbox import emit_event
from travelportal.webhooks.subscriptions import create_subscription

pytestmark = pytest.mark.django_db


def events(receiver) -> list[tuple[str, dict]]:
    return [(r.headers["Tk-webhook-event"], json.loads(r.body)["data"]) for r in receiver.requests]


def names(receiver) -> list[str]:
    return [name for name, _ in events(receiver)]


def of(receiver, event: str) -> list[dict]:
    return [data for name, data in events(receiver) if name == event]


def request_trip(traveller):
    return create_trip(
        traveller=traveller,
        requested_by=traveller,
        destination="Lisbon",
        start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 4),
        purpose="Customer visit",
        estimated_cost=Decimal("500.00"),
        currency="EUR",
    )


def person(company, name, **fields):
    return User.objects.create_user(
        f"{name}@acme.example", None, company=company, given_name=name.title(), work_email=f"{name}@acme.example"
    )


@pytest.fixture
def two_steps(company, traveller):
    """A manual process for Tom's trips: Lea approves step 1, Max step 2."""
    lea, max_ = person(company, "lea"), person(company, "max")
    save_process(company=company, name="Two steps", kind="manual", requesters=[traveller], steps=[[lea], [max_]])
    return lea, max_


def test_a_trip_needing_no_approval_is_created_approved(
    company, traveller, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        trip = request_trip(traveller)

    assert names(receiver) == ["trip.created"]
    [data] = of(receiver, "trip.created")
    assert data["id"] == str(trip.pk)
    assert (data["status"], data["traveler_id"], data["estimated_cost"]) == ("approved", str(traveller.pk), "500.00")
    assert (data["destination"], data["start_date"], data["currency"]) == ("Lisbon", "2027-03-01", "EUR")


def test_a_trip_waiting_for_approval_asks_the_first_steps_approvers(
    company, traveller, two_steps, subscription, receiver, django_capture_on_commit_callbacks
):
    lea, _ = two_steps

    with django_capture_on_commit_callbacks(execute=True):
        trip = request_trip(traveller)

    assert names(receiver) == ["trip.created", "approval.requested"]
    [asked] = of(receiver, "approval.requested")
    assert asked["step"] == 1
    assert asked["trip"]["status"] == "pending"
    assert [a["id"] for a in asked["approvers"]] == [str(u.pk) for u in trip.current_approvers.all()] == [str(lea.pk)]


def test_approving_a_step_is_decided_updates_the_trip_and_asks_the_next_step(
    company, traveller, two_steps, subscription, receiver, django_capture_on_commit_callbacks
):
    lea, max_ = two_steps
    trip = request_trip(traveller)

    with django_capture_on_commit_callbacks(execute=True):
        approve_trip(trip=trip, approver=lea, comment="Fine by me", step=1)

    assert names(receiver) == ["trip.updated", "approval.decided", "approval.requested"]
    [decided] = of(receiver, "approval.decided")
    assert (decided["step"], decided["decision"], decided["final"]) == (1, "approved", False)
    assert (decided["approver"]["id"], decided["comment"]) == (str(lea.pk), "Fine by me")
    [asked] = of(receiver, "approval.requested")
    assert asked["step"] == 2
    assert [a["id"] for a in asked["approvers"]] == [str(u.pk) for u in trip.current_approvers.all()] == [str(max_.pk)]
    assert of(receiver, "trip.updated")[0]["current_step"] == 2


def test_the_last_approval_and_a_decline_are_final_decisions(
    company, traveller, two_steps, subscription, receiver, django_capture_on_commit_callbacks
):
    lea, max_ = two_steps
    approved, declined = request_trip(traveller), request_trip(traveller)
    approve_trip(trip=approved, approver=lea, step=1)
    receiver.requests.clear()

    with django_capture_on_commit_callbacks(execute=True):
        approve_trip(trip=approved, approver=max_, step=2)
        decline_trip(trip=declined, approver=lea, comment="Too expensive", step=1)

    assert names(receiver) == ["trip.updated", "approval.decided", "trip.updated", "approval.decided"]
    first, second = of(receiver, "approval.decided")
    assert (first["decision"], first["final"], first["trip"]["status"]) == ("approved", True, "approved")
    assert (second["decision"], second["final"], second["comment"]) == ("declined", True, "Too expensive")
    assert [t["status"] for t in of(receiver, "trip.updated")] == ["approved", "declined"]


def test_a_trip_moved_to_new_approvers_asks_them(
    company, traveller, two_steps, subscription, receiver, django_capture_on_commit_callbacks
):
    lea, _ = two_steps
    trip = request_trip(traveller)
    User.objects.filter(pk=lea.pk).update(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        sync_pending_trips(company=company)

    [asked] = of(receiver, "approval.requested")
    assert asked["step"] == 1
    assert [a["id"] for a in asked["approvers"]] == [str(u.pk) for u in trip.current_approvers.all()]
    assert TripEvent.objects.filter(trip=trip, kind=TripEvent.Kind.REASSIGNED).exists()


def test_provisioning_a_person_and_deactivating_them(
    company, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ann = create_person(
            company=company,
            data=PersonData(fields={"username": "ann@acme.example", "given_name": "Ann", "external_id": "E1"}),
        )
    with django_capture_on_commit_callbacks(execute=True):
        deactivate_person(user=ann)

    assert names(receiver) == ["user.provisioned", "user.deactivated"]
    provisioned, deactivated = of(receiver, "user.provisioned")[0], of(receiver, "user.deactivated")[0]
    assert (provisioned["id"], provisioned["user_name"], provisioned["external_id"]) == (
        str(ann.pk),
        "ann@acme.example",
        "E1",
    )
    assert provisioned["active"] is True
    assert (deactivated["active"], deactivated["deleted"]) == (False, False)


def test_deleting_an_active_person_deactivates_them_and_an_inactive_one_only_once(
    company, traveller, acme_admin, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delete_person(user=traveller)
        deactivate_person(user=acme_admin)
        delete_person(user=acme_admin)

    assert [(d["id"], d["deleted"]) for d in of(receiver, "user.deactivated")] == [
        (str(traveller.pk), True),
        (str(acme_admin.pk), False),
    ]


def test_an_edit_that_keeps_a_person_active_sends_nothing(
    company, traveller, subscription, receiver, django_capture_on_commit_callbacks
):
    from travelportal.companies.people import save_person_changes

    with django_capture_on_commit_callbacks(execute=True):
        save_person_changes(user=traveller, changes={"title": "Engineer", "is_active": True})

    assert receiver.requests == []


def test_scim_naming_an_unknown_cost_centre_creates_it(
    company, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        create_person(company=company, data=PersonData(fields={"username": "bo@acme.example"}, cost_centre="Research"))

    assert names(receiver) == ["cost_center.created", "user.provisioned"]
    centre = CostCentre.objects.get(name="Research")
    assert of(receiver, "cost_center.created") == [{"id": centre.pk, "name": "Research", "archived": False}]


def test_cost_centres_created_renamed_and_archived_in_company_settings(
    company, acme_admin_client, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        acme_admin_client.post("/company/cost-centres/new/", {"name": "R&D"})
    centre = CostCentre.objects.get(name="R&D")
    with django_capture_on_commit_callbacks(execute=True):
        acme_admin_client.post(f"/company/cost-centres/{centre.pk}/edit/", {"name": "Research"})
    with django_capture_on_commit_callbacks(execute=True):
        acme_admin_client.post(f"/company/cost-centres/{centre.pk}/archive")

    assert events(receiver) == [
        ("cost_center.created", {"id": centre.pk, "name": "R&D", "archived": False}),
        ("cost_center.updated", {"id": centre.pk, "name": "Research", "archived": False}),
        ("cost_center.updated", {"id": centre.pk, "name": "Research", "archived": True}),
    ]


def test_a_bulk_archive_through_the_api_sends_an_update_for_each_cost_centre_it_changed(
    company, other_company, api, subscription, receiver, django_capture_on_commit_callbacks
):
    sales = CostCentre.objects.create(company=company, name="Sales")
    ops = CostCentre.objects.create(company=company, name="Ops")
    archived = CostCentre.objects.create(company=company, name="Old", archived_at="2026-01-01T00:00:00Z")
    theirs = CostCentre.objects.create(company=other_company, name="Globex Sales")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            "/api/cost_centers/bulk_update",
            {"id_list": [sales.pk, ops.pk, archived.pk, theirs.pk], "archive": True},
            format="json",
        )

    assert response.json() == {"updated_count": 2}
    assert sorted(events(receiver), key=lambda e: e[1]["id"]) == [
        ("cost_center.updated", {"id": sales.pk, "name": "Sales", "archived": True}),
        ("cost_center.updated", {"id": ops.pk, "name": "Ops", "archived": True}),
    ]


def test_a_bulk_restore_reports_only_what_it_restored(
    company, subscription, receiver, django_capture_on_commit_callbacks
):
    old = CostCentre.objects.create(company=company, name="Old", archived_at="2026-01-01T00:00:00Z")
    live = CostCentre.objects.create(company=company, name="Live")

    with django_capture_on_commit_callbacks(execute=True):
        count = archive_catalogue_entries(company=company, model=CostCentre, ids=[old.pk, live.pk], archive=False)

    assert count == 1
    assert events(receiver) == [("cost_center.updated", {"id": old.pk, "name": "Old", "archived": False})]


def test_nothing_is_sent_before_the_commit(company, subscription, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        create_catalogue_entry(company=company, model=CostCentre, values={"name": "R&D"})

    assert receiver.requests == []
    assert Delivery.objects.filter(status="pending").count() == 1
    for callback in callbacks:
        callback()
    assert names(receiver) == ["cost_center.created"]


def test_nothing_is_recorded_or_sent_when_the_transaction_rolls_back(
    company, subscription, receiver, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        create_catalogue_entry(company=company, model=CostCentre, values={"name": "R&D"})
        create_person(company=company, data=PersonData(fields={"username": "ann@acme.example"}))
        raise RuntimeError("the write fails after the events")

    assert callbacks == []
    assert not Delivery.objects.exists()
    assert receiver.requests == []


def test_a_subscription_gets_only_the_events_it_listens_to(
    company, traveller, receiver, django_capture_on_commit_callbacks
):
    create_subscription(company=company, name="Trips only", url=receiver.url, events=["trip.created"])

    with django_capture_on_commit_callbacks(execute=True):
        create_catalogue_entry(company=company, model=CostCentre, values={"name": "R&D"})
        deactivate_person(user=traveller)
        request_trip(person(company, "ivy"))

    assert names(receiver) == ["trip.created"]


def test_a_disabled_subscription_gets_nothing(company, subscription, receiver, django_capture_on_commit_callbacks):
    Subscription.objects.filter(pk=subscription.pk).update(enabled=False)

    with django_capture_on_commit_callbacks(execute=True):
        create_catalogue_entry(company=company, model=CostCentre, values={"name": "R&D"})

    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_another_companys_events_never_reach_this_companys_subscriptions(
    other_company, other_admin, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        create_catalogue_entry(company=other_company, model=CostCentre, values={"name": "Globex R&D"})
        request_trip(other_admin)
        deactivate_person(user=other_admin)

    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_each_listening_subscription_gets_its_own_delivery(
    company, subscription, receiver, django_capture_on_commit_callbacks
):
    second = create_subscription(company=company, name="BI", url=receiver.url + "/bi", events=["cost_center.created"])

    with django_capture_on_commit_callbacks(execute=True):
        create_catalogue_entry(company=company, model=CostCentre, values={"name": "R&D"})

    assert sorted(r.path for r in receiver.requests) == ["/hooks/travel", "/hooks/travel/bi"]
    assert set(Delivery.objects.values_list("subscription_id", flat=True)) == {subscription.pk, second.pk}


def test_an_event_nobody_listens_to_builds_no_payload(company, django_assert_num_queries):
    def payload():
        raise AssertionError("built although nobody listens")

    with django_assert_num_queries(1):
        assert emit_event(company=company, event="trip.created", payload=payload) == []


def test_an_unknown_event_is_a_programming_error(company):
    with pytest.raises(ValueError, match="not a webhook event"):
        emit_event(company=company, event="invoice.issued", payload={})
