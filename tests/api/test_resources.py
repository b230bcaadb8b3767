"""What each resource reads and writes, beyond the scope matrix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from approvals.models import ApprovalProcess, Trip
from tests.api.conftest import Api, assert_problem
from travelportal.companies.models import CostCentre, TravelPolicy
from travelportal.provisioning.models import ProvisioningLogEntry

pytestmark = pytest.mark.django_db


def _person_token(company, user, scopes) -> Api:
    from oauth2_provider.models import get_access_token_model

    raw = f"person-token-{user.pk}"
    get_access_token_model().objects.create(
        company=company, user=user, token=raw, scope=" ".join(scopes), expires=timezone.now() + dt.timedelta(hours=1)
    )
    return Api(Client(), f"Bearer {raw}")


# --- Cursor pagination ------------------------------------------------------------------------


# A cursor shows committed changes only (travelportal.companies.changes): each write here
# commits on its own, as a request's would.
@pytest.mark.django_db(transaction=True)
def test_a_cursor_walks_every_row_once_and_then_only_what_changed(api, company):
    for n in range(5):
        CostCentre.objects.create(company=company, name=f"CC {n}")
    seen, cursor = [], ""
    while True:
        page = api.get(f"/api/cost_centers?limit=2&cursor={cursor}").json()
        seen += [c["name"] for c in page["cost_centers"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert sorted(seen) == [f"CC {n}" for n in range(5)]
    assert api.get(f"/api/cost_centers?cursor={cursor}").json()["cost_centers"] == []

    changed = CostCentre.objects.get(name="CC 1")
    api.patch(f"/api/cost_centers/{changed.pk}", {"name": "CC one"})
    later = api.get(f"/api/cost_centers?cursor={cursor}").json()
    assert [c["name"] for c in later["cost_centers"]] == ["CC one"]


def test_cursor_and_offset_together_are_refused(api):
    assert_problem(api.get("/api/cost_centers?cursor=&offset=0"), 400)


# --- Users, profiles ------------------------------------------------------------------------


def test_users_are_read_only(api, traveller):
    assert_problem(api.post("/api/users", {"user_name": "x"}), 405)
    user = api.get(f"/api/users/{traveller.pk}").json()
    assert user["user_name"] == "tom@acme.example" and user["first_name"] == "Tom" and user["active"] is True


def test_a_deleted_person_is_not_listed(api, traveller, acme_admin):
    traveller.deleted_at = timezone.now()
    traveller.save(update_fields=["deleted_at"])
    assert [u["id"] for u in api.get("/api/users").json()["users"]] == [str(acme_admin.pk)]


def test_a_profile_carries_its_billing_information(api, world):
    profile = api.get(f"/api/profiles/{world['profile'].pk}").json()
    assert profile["billing_period"] == "monthly" and profile["currency"] == "EUR"
    assert profile["billing_information"] == {"legal_name": "Acme GmbH", "vat_number": "", "address": ""}


# --- Trips ------------------------------------------------------------------------------------


def test_trips_filter_by_status_traveler_and_modification_time(api, world, acme_admin):
    trip = world["trip"]
    listed = api.get(f"/api/trips?status=pending&traveler_id={trip.traveller_id}").json()
    assert [t["id"] for t in listed["trips"]] == [str(trip.pk)]
    assert api.get("/api/trips?status=approved").json()["trips"] == []
    assert api.get(f"/api/trips?traveler_id={acme_admin.pk}").json()["trips"] == []
    modified = listed["trips"][0]["modified"]
    assert api.get(f"/api/trips?modified_gte={modified.replace('+', '%2B')}").json()["total"] == 1
    assert api.get(f"/api/trips?modified_lt={modified.replace('+', '%2B')}").json()["total"] == 0


def test_a_decision_moves_a_trips_modification_time(api, world):
    trip, admin = world["trip"], world["admin"]
    before = api.get(f"/api/trips/{trip.pk}").json()["modified"]
    api.post(f"/api/approvals/{trip.pk}/approve", {"approver_id": str(admin.pk)})
    after = api.get(f"/api/trips/{trip.pk}").json()
    assert after["status"] == "approved" and after["modified"] > before


def test_a_bad_trip_filter_is_a_field_problem(api, world):
    body = assert_problem(api.get("/api/trips?status=lost"), 400)
    assert body["errors"][0]["field"] == "status"


# --- Approvals --------------------------------------------------------------------------------


def test_a_key_sees_the_companys_pending_decisions(api, world):
    listed = api.get("/api/approvals").json()["approvals"]
    assert [a["trip_id"] for a in listed] == [str(world["trip"].pk)]
    assert [a["id"] for a in listed[0]["approvers"]] == [str(world["admin"].pk)]


def test_a_persons_token_sees_only_their_own_queue(world, company, traveller, acme_admin):
    assert _person_token(company, traveller, ["approvals:read"]).get("/api/approvals").json()["approvals"] == []
    mine = _person_token(company, acme_admin, ["approvals:read"]).get("/api/approvals").json()["approvals"]
    assert [a["trip_id"] for a in mine] == [str(world["trip"].pk)]


def test_a_persons_token_decides_as_that_person(world, company, acme_admin):
    token = _person_token(company, acme_admin, ["approvals:write"])
    response = token.post(f"/api/approvals/{world['trip'].pk}/approve", {"comment": "OK"})
    assert response.status_code == 200
    event = world["trip"].events.get(kind="approved")
    assert event.actor == acme_admin and event.comment == "OK"


def test_a_key_must_name_the_person_deciding(api, world):
    body = assert_problem(api.post(f"/api/approvals/{world['trip'].pk}/approve", {}), 400)
    assert body["errors"][0]["field"] == "approver_id"
    assert Trip.objects.get(pk=world["trip"].pk).is_pending


def test_someone_who_is_no_approver_is_refused(api, world, traveller):
    response = api.post(f"/api/approvals/{world['trip'].pk}/approve", {"approver_id": str(traveller.pk)})
    assert_problem(response, 403)
    assert Trip.objects.get(pk=world["trip"].pk).is_pending


def test_a_person_of_another_company_cannot_decide(api, world, other_admin):
    response = api.post(f"/api/approvals/{world['trip'].pk}/approve", {"approver_id": str(other_admin.pk)})
    assert_problem(response, 400)
    assert Trip.objects.get(pk=world["trip"].pk).is_pending


def test_a_decided_trip_is_a_409(api, world):
    admin = str(world["admin"].pk)
    api.post(f"/api/approvals/{world['trip'].pk}/approve", {"approver_id": admin})
    body = assert_problem(
        api.post(f"/api/approvals/{world['trip'].pk}/decline", {"approver_id": admin, "comment": "No"}), 409
    )
    assert "already approved" in body["detail"]


def test_declining_needs_a_comment(api, world):
    body = assert_problem(
        api.post(f"/api/approvals/{world['trip'].pk}/decline", {"approver_id": str(world["admin"].pk)}), 400
    )
    assert body["errors"][0]["field"] == "comment"
    assert Trip.objects.get(pk=world["trip"].pk).is_pending


def test_a_stale_step_is_a_409(api, world):
    response = api.post(
        f"/api/approvals/{world['trip'].pk}/approve", {"approver_id": str(world["admin"].pk), "step": 2}
    )
    assert_problem(response, 409)


# --- Travel policies --------------------------------------------------------------------------


def test_a_travel_policy_is_created_changed_and_archived(api, company):
    created = api.post(
        "/api/travel_policies", {"name": "Exec", "max_flight_cabin": "business", "max_trip_cost": "3000"}
    )
    assert created.status_code == 201
    policy = created.json()
    assert policy["max_trip_cost"] == "3000.00" and policy["archived"] is False
    changed = api.patch(f"/api/travel_policies/{policy['id']}", {"hotel_price_currency": "GBP", "archive": True})
    assert changed.json()["hotel_price_currency"] == "GBP" and changed.json()["archived"] is True
    stored = TravelPolicy.objects.get(pk=policy["id"])
    assert stored.hotel_price_currency == "GBP" and stored.is_archived


def test_a_travel_policy_refuses_a_bad_currency_and_keeps_its_value(api, world):
    policy = world["policy"]
    body = assert_problem(api.patch(f"/api/travel_policies/{policy.pk}", {"hotel_price_currency": "XXY"}), 400)
    assert body["errors"][0]["field"] == "hotel_price_currency"
    policy.refresh_from_db()
    assert policy.hotel_price_currency == "EUR"


def test_a_duplicate_policy_name_is_a_field_problem(api, world):
    assert_problem(api.post("/api/travel_policies", {"name": "Standard"}), 400)
    assert TravelPolicy.objects.count() == 1


# --- Approval processes ------------------------------------------------------------------------


def test_a_manual_process_is_created_changed_and_deleted(api, world, traveller, acme_admin):
    body = {
        "name": "Sales",
        "kind": "manual",
        "requester_ids": [str(traveller.pk)],
        "steps": [{"approver_ids": [str(acme_admin.pk)]}],
    }
    created = api.post("/api/approval_processes", body)
    assert created.status_code == 201, created.content
    process = created.json()
    assert process["requester_ids"] == [str(traveller.pk)]
    assert process["steps"] == [{"position": 1, "approver_ids": [str(acme_admin.pk)], "fallback_to_admins": False}]
    renamed = api.patch(f"/api/approval_processes/{process['id']}", {"name": "Sales team"}).json()
    assert renamed["name"] == "Sales team" and renamed["requester_ids"] == [str(traveller.pk)]
    assert api.delete(f"/api/approval_processes/{process['id']}").status_code == 204
    assert not ApprovalProcess.objects.filter(pk=process["id"]).exists()


def test_an_automatic_process_is_read_only(api, company, acme_admin, traveller):
    automatic = ApprovalProcess.objects.create(company=company, kind="automatic", name="Auto", owner=acme_admin)
    assert api.get(f"/api/approval_processes/{automatic.pk}").json()["kind"] == "automatic"
    assert_problem(api.patch(f"/api/approval_processes/{automatic.pk}", {"name": "Mine"}), 400)
    assert_problem(api.delete(f"/api/approval_processes/{automatic.pk}"), 400)
    automatic.refresh_from_db()
    assert automatic.name == "Auto"


def test_a_process_naming_another_companys_person_is_refused(api, world, other_admin):
    body = {"name": "X", "kind": "manual", "steps": [{"approver_ids": [str(other_admin.pk)]}]}
    problem = assert_problem(api.post("/api/approval_processes", body), 400)
    assert str(other_admin.pk) in problem["detail"]
    assert ApprovalProcess.objects.count() == 1


# --- Provisioning events -----------------------------------------------------------------------


def test_provisioning_events_filter_like_the_activity_page(api, world, company):
    ProvisioningLogEntry.objects.create(
        company=company, created_at=timezone.now(), operation="update", status=409, user_name="eve@acme.example"
    )
    errors = api.get("/api/provisioning_events?outcome=error").json()["provisioning_events"]
    assert [e["user_name"] for e in errors] == ["eve@acme.example"]
    creates = api.get("/api/provisioning_events?operation=create").json()["provisioning_events"]
    assert [e["id"] for e in creates] == [world["event"].pk]
    assert api.get("/api/provisioning_events?person=tom").json()["total"] == 1
    assert api.get("/api/provisioning_events?since=2029-01-01T00:00:00Z").json()["total"] == 1
    assert_problem(api.get("/api/provisioning_events?operation=explode"), 400)
