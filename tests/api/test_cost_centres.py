"""A TravelPerk-shaped round trip of cost centres, and what the API refuses."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from travelportal.companies.models import CostCentre, User

pytestmark = pytest.mark.django_db


def test_a_travelperk_integration_creates_lists_renames_archives_and_staffs_cost_centres(
    api, company, acme_admin, traveller
):
    created = [api.post("/api/cost_centers", {"name": name}) for name in ("Sales", "R&D", "Ops")]
    assert [r.status_code for r in created] == [201, 201, 201]
    sales, rnd, ops = (r.json() for r in created)
    assert sales == {"id": sales["id"], "name": "Sales", "archived": False, "count_users": 0, "users": []}

    listed = api.get("/api/cost_centers?offset=0&limit=2").json()
    assert listed["total"] == 3 and listed["offset"] == 0 and listed["limit"] == 2
    assert [c["name"] for c in listed["cost_centers"]] == ["Ops", "R&D"]

    renamed = api.patch(f"/api/cost_centers/{rnd['id']}", {"name": "Research"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Research"

    bulk = api.patch("/api/cost_centers/bulk_update", {"id_list": [sales["id"], ops["id"]], "archive": True})
    assert bulk.json() == {"updated_count": 2}
    assert api.patch("/api/cost_centers/bulk_update", {"id_list": [ops["id"]], "archive": True}).json() == {
        "updated_count": 0
    }

    staffed = api.put(f"/api/cost_centers/{rnd['id']}/users", {"user_ids": [str(traveller.pk), str(acme_admin.pk)]})
    assert staffed.status_code == 200
    body = staffed.json()
    assert body["count_users"] == 2
    assert {u["email"] for u in body["users"]} == {"tom@acme.example", "alice@acme.example"}
    assert set(body["users"][0]) == {"id", "first_name", "last_name", "email"}

    replaced = api.put(f"/api/cost_centers/{rnd['id']}/users", {"user_ids": [str(traveller.pk)]}).json()
    assert [u["id"] for u in replaced["users"]] == [str(traveller.pk)]

    research = CostCentre.objects.get(pk=rnd["id"])
    assert research.name == "Research" and not research.is_archived
    assert set(CostCentre.objects.filter(archived_at__isnull=False).values_list("name", flat=True)) == {"Sales", "Ops"}
    assert User.objects.get(pk=traveller.pk).cost_centre_id == rnd["id"]
    assert User.objects.get(pk=acme_admin.pk).cost_centre_id is None
    got = api.get(f"/api/cost_centers/{sales['id']}").json()
    assert got["archived"] is True


def test_archive_false_restores_a_cost_centre(api, company):
    centre = CostCentre.objects.create(company=company, name="Old")
    assert api.patch(f"/api/cost_centers/{centre.pk}", {"archive": True}).json()["archived"] is True
    assert api.patch(f"/api/cost_centers/{centre.pk}", {"archive": False}).json()["archived"] is False


def test_people_of_another_company_are_a_400_naming_them(api, company, traveller, other_admin):
    centre = CostCentre.objects.create(company=company, name="Sales")
    response = api.put(f"/api/cost_centers/{centre.pk}/users", {"user_ids": [str(traveller.pk), str(other_admin.pk)]})
    body = assert_problem(response, 400)
    assert body["errors"][0]["field"] == "user_ids"
    assert str(other_admin.pk) in body["errors"][0]["detail"]
    assert str(traveller.pk) not in body["errors"][0]["detail"]
    assert User.objects.get(pk=traveller.pk).cost_centre_id is None


def test_a_scim_managed_persons_cost_centre_is_left_to_the_identity_provider(api, company, traveller):
    User.objects.filter(pk=traveller.pk).update(scim_managed=True)
    centre = CostCentre.objects.create(company=company, name="Sales")
    body = assert_problem(api.put(f"/api/cost_centers/{centre.pk}/users", {"user_ids": [str(traveller.pk)]}), 400)
    assert str(traveller.pk) in body["detail"]
    assert User.objects.get(pk=traveller.pk).cost_centre_id is None


def test_a_duplicate_name_is_a_field_error_and_nothing_is_written(api, company):
    CostCentre.objects.create(company=company, name="Sales")
    body = assert_problem(api.post("/api/cost_centers", {"name": "Sales"}), 400)
    assert body["errors"][0]["field"] == "name"
    assert body["errors"][0]["pointer"] == "#/name"
    assert CostCentre.objects.count() == 1


def test_a_missing_name_is_a_field_error(api):
    body = assert_problem(api.post("/api/cost_centers", {}), 400)
    assert body["errors"] == [
        {"field": "name", "pointer": "#/name", "detail": "This field is required.", "code": "required"}
    ]
    assert not CostCentre.objects.exists()


def test_bulk_update_leaves_another_companys_cost_centres_alone(api, other_company):
    theirs = CostCentre.objects.create(company=other_company, name="Theirs")
    assert api.patch("/api/cost_centers/bulk_update", {"id_list": [theirs.pk], "archive": True}).json() == {
        "updated_count": 0
    }
    theirs.refresh_from_db()
    assert theirs.archived_at is None


def test_an_archived_cost_centre_gains_no_members(api, company, traveller):
    centre = CostCentre.objects.create(company=company, name="Gone")
    api.patch(f"/api/cost_centers/{centre.pk}", {"archive": True})
    assert_problem(api.put(f"/api/cost_centers/{centre.pk}/users", {"user_ids": [str(traveller.pk)]}), 400)


def test_an_id_beyond_any_row_is_a_field_problem_not_a_server_error(api):
    body = assert_problem(api.patch("/api/cost_centers/bulk_update", {"id_list": [2**64], "archive": True}), 400)
    assert body["errors"][0]["pointer"] == "#/id_list/0"
    assert_problem(api.get(f"/api/cost_centers/{2**64}"), 404)
