"""The enterprise extension's employeeNumber and department (Entra's default mapping
sends both)."""

from __future__ import annotations

import pytest

from tests.scim.conftest import ENTERPRISE, db_state, entra_user
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db


def _post(scim, user_name: str, **enterprise):
    return scim.post("Users", {"userName": user_name, ENTERPRISE: enterprise})


def test_employee_number_and_department_are_stored_and_returned_exactly_as_sent(scim, catalogue):
    body = entra_user(**{ENTERPRISE: {"employeeNumber": " 007-a ", "department": "R&D / Tools"}})

    resource = scim.post("Users", body).json()

    assert resource[ENTERPRISE] == {"employeeNumber": " 007-a ", "department": "R&D / Tools"}
    user = User.objects.get(pk=resource["id"])
    assert (user.employee_number, user.department) == (" 007-a ", "R&D / Tools")
    assert scim.get(f"Users/{resource['id']}").json()[ENTERPRISE] == resource[ENTERPRISE]


def test_they_are_patched_and_cleared_like_any_attribute(scim, catalogue):
    user = _post(scim, "p@acme.example", employeeNumber="1", department="Sales").json()

    replaced = scim.patch(
        f"Users/{user['id']}",
        [
            {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "2"},
            {"op": "replace", "value": {f"{ENTERPRISE}:department": ""}},
        ],
    ).json()

    assert replaced[ENTERPRISE] == {"employeeNumber": "2"}
    assert User.objects.get(pk=user["id"]).department == ""


def test_filtering_by_employee_number_compares_exactly(scim, catalogue):
    ann = _post(scim, "ann@acme.example", employeeNumber="E-100").json()
    _post(scim, "bob@acme.example", employeeNumber="E-1000")

    found = scim.get("Users", QUERY_STRING=f'filter={ENTERPRISE}:employeeNumber eq "E-100"').json()
    other_case = scim.get("Users", QUERY_STRING='filter=employeeNumber eq "e-100"').json()

    assert [r["id"] for r in found["Resources"]] == [ann["id"]]
    assert other_case["totalResults"] == 0


def test_an_employee_number_taken_in_the_company_is_a_conflict_and_writes_nothing(scim, catalogue):
    ann = _post(scim, "ann@acme.example", employeeNumber="42").json()
    bob = _post(scim, "bob@acme.example").json()
    before = db_state()

    created = _post(scim, "cy@acme.example", employeeNumber="42")
    patched = scim.patch(f"Users/{bob['id']}", [{"op": "add", "path": f"{ENTERPRISE}:employeeNumber", "value": "42"}])

    for response in (created, patched):
        assert response.status_code == 409, response.content
        assert response.json()["scimType"] == "uniqueness"
        assert "employeeNumber '42'" in response.json()["detail"]
    assert db_state() == before
    assert User.objects.get(pk=ann["id"]).employee_number == "42"


def test_the_same_employee_number_in_another_company_or_of_a_deleted_person_is_free(scim, other_scim, catalogue):
    ann = _post(scim, "ann@acme.example", employeeNumber="42").json()

    assert _post(other_scim, "ann@globex.example", employeeNumber="42").status_code == 201
    assert scim.delete(f"Users/{ann['id']}").status_code == 204
    assert _post(scim, "ann2@acme.example", employeeNumber="42").status_code == 201


def test_a_manager_named_by_employee_number_is_found_at_once_when_provisioned(scim, catalogue):
    boss = _post(scim, "boss@acme.example", employeeNumber="B-1").json()

    report = _post(scim, "report@acme.example", manager="B-1").json()

    assert report[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert str(User.objects.get(pk=report["id"]).manager_id) == boss["id"]


def test_a_person_cannot_name_their_own_employee_number_as_manager(scim, catalogue):
    response = _post(scim, "self@acme.example", employeeNumber="S-1", manager="S-1")

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert not User.objects.filter(username="self@acme.example").exists()


def test_company_settings_shows_them_and_locks_them_for_a_scim_managed_person(scim, catalogue, acme_admin_client):
    person = _post(scim, "p@acme.example", employeeNumber="E-77", department="Finance").json()

    page = acme_admin_client.get(f"/company/people/{person['id']}/").content.decode()
    form = acme_admin_client.get(f"/company/people/{person['id']}/edit/")

    assert "E-77" in page and "Finance" in page
    assert (
        "employee_number" not in form.context["form"].fields or form.context["form"].fields["employee_number"].disabled
    )
