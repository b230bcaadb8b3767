"""Managers named by userName or externalId before they are provisioned."""

from __future__ import annotations

import pytest

from tests.scim.conftest import ENTERPRISE, TRAVELPERK
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db


def _with_manager(scim, user_name: str, manager: str) -> dict:
    response = scim.post("Users", {"userName": user_name, ENTERPRISE: {"manager": manager}})
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize(
    ("reference", "manager_body"),
    [
        ("BOSS@acme.example", {"userName": "boss@acme.example"}),
        ("E-BOSS", {"userName": "boss@acme.example", "externalId": "E-BOSS"}),
        ("4711", {"userName": "boss@acme.example", ENTERPRISE: {"employeeNumber": "4711"}}),
    ],
    ids=["by-username-any-case", "by-external-id", "by-employee-number"],
)
def test_a_pending_reference_resolves_when_the_manager_arrives(scim, catalogue, reference, manager_body):
    report = _with_manager(scim, "report@acme.example", reference)
    # Shown as the reference alone, under the enterprise URN, until it resolves.
    assert report[ENTERPRISE]["manager"] == {"value": reference}
    assert TRAVELPERK not in report

    boss = scim.post("Users", manager_body).json()

    user = User.objects.get(pk=report["id"])
    assert str(user.manager_id) == boss["id"]
    assert user.pending_manager_ref == ""
    resource = scim.get(f"Users/{report['id']}").json()
    assert resource[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert resource[ENTERPRISE]["manager"]["$ref"].endswith(f"/Users/{boss['id']}")


def test_a_reference_to_an_existing_person_by_username_resolves_at_once(scim, acme_admin, catalogue):
    report = _with_manager(scim, "report@acme.example", "alice@ACME.example")

    assert report[ENTERPRISE]["manager"]["value"] == str(acme_admin.pk)


def test_a_rename_resolves_references_to_the_new_username(scim, catalogue, traveller):
    report = _with_manager(scim, "report@acme.example", "new.boss@acme.example")

    scim.patch(f"Users/{traveller.pk}", [{"op": "replace", "path": "userName", "value": "new.boss@acme.example"}])

    assert User.objects.get(pk=report["id"]).manager == traveller


def test_pending_references_of_another_company_stay_there(scim, other_scim, catalogue):
    report = _with_manager(scim, "report@acme.example", "boss@globex.example")

    other_scim.post("Users", {"userName": "boss@globex.example"})

    user = User.objects.get(pk=report["id"])
    assert user.manager is None
    assert user.pending_manager_ref == "boss@globex.example"


def test_a_new_reference_replaces_a_pending_one(scim, catalogue, acme_admin):
    report = _with_manager(scim, "report@acme.example", "ghost@acme.example")

    scim.patch(f"Users/{report['id']}", [{"op": "replace", "path": "manager", "value": str(acme_admin.pk)}])

    user = User.objects.get(pk=report["id"])
    assert (user.manager, user.pending_manager_ref) == (acme_admin, "")


def test_deleting_a_manager_frees_their_reports(scim, catalogue, acme_admin):
    report = _with_manager(scim, "report@acme.example", str(acme_admin.pk))
    boss = scim.post("Users", {"userName": "boss@acme.example"}).json()
    scim.patch(f"Users/{report['id']}", [{"op": "replace", "path": "manager", "value": boss["id"]}])

    scim.delete(f"Users/{boss['id']}")

    assert User.objects.get(pk=report["id"]).manager is None
    assert "manager" not in scim.get(f"Users/{report['id']}").json().get(ENTERPRISE, {})
