"""Entra's provisioning lifecycle at request level, with every attribute of the mapping."""

from __future__ import annotations

import uuid

import pytest

from tests.scim.conftest import ENTERPRISE, PATCH_OP, TRAVELPERK, entra_user
from travelportal.companies.models import CostCentre, User

pytestmark = pytest.mark.django_db

EMPTY_LIST = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    "totalResults": 0,
    "startIndex": 1,
    "itemsPerPage": 0,
    "Resources": [],
}


def test_test_connection_answers_an_empty_list_for_a_random_guid(scim):
    response = scim.get(f"Users?filter=userName+eq+%22{uuid.uuid4()}%22")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"
    assert response.json() == EMPTY_LIST


def test_the_whole_entra_lifecycle_round_trips_every_attribute(scim, catalogue, acme_admin, company):
    # Find (case-insensitively), nobody yet.
    assert scim.get("Users?filter=userName+eq+%22ANN.SMITH@acme.example%22").json()["totalResults"] == 0

    # Create with every attribute.
    body = entra_user()
    response = scim.post("Users", body)
    assert response.status_code == 201
    ann = response.json()
    assert response["Location"] == ann["meta"]["location"]
    assert ann["userName"] == body["userName"]
    assert ann["externalId"] == body["externalId"]
    assert ann["active"] is True
    assert ann["name"] == body["name"]
    assert ann["preferredLanguage"] == "en-GB"
    assert ann["locale"] == "en-GB"
    assert ann["title"] == "Engineer"
    assert ann["emails"] == [{"value": body["userName"], "type": "work", "primary": True}]
    assert ann["phoneNumbers"] == [{"value": "+44 20 7946 0000", "type": "work", "primary": True}]
    assert ann[ENTERPRISE] == {"costCenter": "Engineering"}
    assert ann[TRAVELPERK] == body[TRAVELPERK]
    assert set(ann["schemas"]) == {
        "urn:ietf:params:scim:schemas:core:2.0:User",
        ENTERPRISE,
        TRAVELPERK,
    }
    meta = ann["meta"]
    assert meta["resourceType"] == "User"
    assert meta["location"] == f"http://testserver/scim/v2/Users/{ann['id']}"
    assert meta["version"].startswith('W/"')
    assert meta["created"] and meta["lastModified"]

    user = User.objects.get(pk=ann["id"])
    assert user.company == company
    assert user.scim_managed is True
    assert user.cost_centre == CostCentre.objects.get(company=company, name="Engineering")
    assert user.travel_policy == catalogue["policy"]
    assert list(user.invoice_profiles.all()) == [catalogue["acme_ltd"]]
    assert str(user.date_of_birth) == "1985-04-12"
    assert not user.has_usable_password()

    # Find again: by userName in another case, and by externalId.
    found = scim.get("Users?filter=userName+eq+%22ANN.SMITH@ACME.EXAMPLE%22").json()
    assert found["totalResults"] == 1 and found["Resources"][0] == ann
    assert scim.get(f"Users?filter=externalId+eq+%22{body['externalId'].upper()}%22").json()["totalResults"] == 1
    assert scim.get(f"Users/{ann['id']}").json() == ann

    # Set the manager, as the provisioning engine does today.
    response = scim.patch(
        f"Users/{ann['id']}",
        [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": str(acme_admin.pk)}],
    )
    assert response.status_code == 200
    assert response.json()[ENTERPRISE]["manager"] == {
        "value": str(acme_admin.pk),
        "$ref": f"http://testserver/scim/v2/Users/{acme_admin.pk}",
        "displayName": "Alice Admin",
    }

    # Update, older dialect.
    response = scim.patch(
        f"Users/{ann['id']}",
        [
            {"op": "Replace", "path": "name.givenName", "value": "Annie"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "annie@acme.example"},
            {"op": "Add", "path": "title", "value": "CFO"},
            {"op": "Replace", "path": f"{TRAVELPERK}:emergencyContact.phone", "value": "+34 611 111 111"},
        ],
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["name"]["givenName"] == "Annie"
    assert updated["emails"][0]["value"] == "annie@acme.example"
    assert updated["title"] == "CFO"
    assert updated[TRAVELPERK]["emergencyContact"] == {"name": "Bob Smith", "phone": "+34 611 111 111"}

    # Update, newer dialect: one path-less operation keyed by attribute paths.
    response = scim.patch(
        f"Users/{ann['id']}",
        [
            {
                "op": "replace",
                "value": {
                    "name.familyName": "Jones",
                    "title": "CEO",
                    f"{ENTERPRISE}:costCenter": "Sales",
                    f"{TRAVELPERK}:travelPolicy": "Executive",
                },
            }
        ],
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["name"]["familyName"] == "Jones"
    assert updated["title"] == "CEO"
    assert updated[ENTERPRISE]["costCenter"] == "Sales"
    assert updated[TRAVELPERK]["travelPolicy"] == "Executive"
    assert updated["meta"]["version"] != ann["meta"]["version"]

    # Disable (string boolean), still found, with active false; then enable.
    response = scim.patch(f"Users/{ann['id']}", [{"op": "Replace", "path": "active", "value": "False"}])
    assert response.status_code == 200 and response.json()["active"] is False
    assert User.objects.get(pk=ann["id"]).is_active is False
    found = scim.get("Users?filter=userName+eq+%22ann.smith@acme.example%22").json()
    assert found["Resources"][0]["active"] is False
    response = scim.patch(f"Users/{ann['id']}", [{"op": "replace", "value": {"active": True}}])
    assert response.json()["active"] is True

    # Delete: 204, then 404 for GET and for a second DELETE; the userName is free again.
    response = scim.delete(f"Users/{ann['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert scim.get(f"Users/{ann['id']}").status_code == 404
    second = scim.delete(f"Users/{ann['id']}")
    assert second.status_code == 404
    assert second.json()["status"] == "404"
    assert User.objects.get(pk=ann["id"]).deleted_at is not None
    assert scim.get("Users?filter=userName+eq+%22ann.smith@acme.example%22").json()["totalResults"] == 0
    again = scim.post("Users", entra_user())
    assert again.status_code == 201
    assert again.json()["id"] != ann["id"]


def test_post_ignores_meta_roles_nulls_unknown_attributes_and_odd_case(scim, catalogue):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "UserName": "bob@acme.example",
        "Active": "true",
        "roles": [],
        "meta": {"resourceType": "User"},
        "nickName": "Bobby",
        "title": None,
        "id": "chosen-by-client",
        "password": "hunter2hunter2",
        "name": {"GivenName": "Bob", "familyName": None},
        f"{TRAVELPERK}": {
            "emergencyContact.name": "Ann",
            "invoiceProfiles": ["Acme Ltd", "Acme Inc"],
            "gender": "male",
        },
    }

    response = scim.post("Users", body)

    assert response.status_code == 201, response.content
    bob = response.json()
    assert bob["userName"] == "bob@acme.example"
    assert bob["active"] is True
    assert bob["id"] != "chosen-by-client"
    assert "title" not in bob and "nickName" not in bob and "password" not in bob
    assert bob["name"] == {"givenName": "Bob"}
    assert bob[TRAVELPERK] == {
        "gender": "M",
        "emergencyContact": {"name": "Ann"},
        "invoiceProfiles": [{"value": "Acme Inc"}, {"value": "Acme Ltd"}],
    }
    assert not User.objects.get(pk=bob["id"]).has_usable_password()


def test_put_replaces_everything_and_clears_what_it_leaves_out(scim, created):
    body = {"userName": created["userName"], "name": {"givenName": "Only"}, "active": False}

    response = scim.put(f"Users/{created['id']}", body)

    assert response.status_code == 200
    resource = response.json()
    assert resource["name"] == {"givenName": "Only"}
    assert resource["active"] is False
    assert ENTERPRISE not in resource and TRAVELPERK not in resource and "emails" not in resource
    user = User.objects.get(pk=created["id"])
    assert user.cost_centre is None and user.travel_policy is None and not user.invoice_profiles.exists()


@pytest.mark.parametrize(
    ("sent", "stored", "answered"),
    [("1985/04/12", "1985-04-12", "1985/04/12"), ("1999-12-31", "1999-12-31", "1999-12-31")],
)
def test_date_of_birth_accepts_slashes_and_is_stored_as_a_date(scim, catalogue, sent, stored, answered):
    body = entra_user()
    body[TRAVELPERK]["dateOfBirth"] = sent

    response = scim.post("Users", body)

    assert response.status_code == 201
    assert response.json()[TRAVELPERK]["dateOfBirth"] == stored
    assert str(User.objects.get(pk=response.json()["id"]).date_of_birth) == stored


@pytest.mark.parametrize(("sent", "answered"), [("F", "F"), ("female", "F"), ("MALE", "M"), ("m", "M")])
def test_gender_accepts_words_in_any_case_and_answers_m_or_f(scim, catalogue, sent, answered):
    body = entra_user()
    body[TRAVELPERK]["gender"] = sent

    assert scim.post("Users", body).json()[TRAVELPERK]["gender"] == answered


def test_an_unknown_cost_centre_is_created_once(scim, catalogue, company):
    scim.post("Users", entra_user("a@acme.example"))
    scim.post("Users", entra_user("b@acme.example"))

    assert CostCentre.objects.filter(company=company, name="Engineering").count() == 1


def test_disabled_and_deleted_people_keep_their_data_and_cannot_sign_in(scim, created):
    from travelportal.accounts.backends import UserNameBackend

    user = User.objects.get(pk=created["id"])
    user.set_password("a long enough password")
    user.save(update_fields=["password"])
    backend = UserNameBackend()
    assert backend.authenticate(None, username=created["userName"], password="a long enough password") == user

    scim.patch(f"Users/{created['id']}", [{"op": "replace", "path": "active", "value": False}])

    user.refresh_from_db()
    assert user.title == "Engineer" and user.travel_policy is not None
    assert backend.authenticate(None, username=created["userName"], password="a long enough password") is None
    scim.patch(f"Users/{created['id']}", [{"op": "replace", "path": "active", "value": True}])
    scim.delete(f"Users/{created['id']}")
    assert backend.authenticate(None, username=created["userName"], password="a long enough password") is None
    assert backend.get_user(user.pk) is None


def test_patch_body_schemas_is_not_required_and_204_is_never_needed(scim, created):
    response = scim.patch(f"Users/{created['id']}", body={"Operations": [{"op": "add", "path": "title", "value": "X"}]})

    assert response.status_code == 200
    assert response.json()["title"] == "X"
    assert PATCH_OP  # the dialect with schemas is exercised everywhere else
