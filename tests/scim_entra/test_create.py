"""POST /Users as Entra sends it, then GET: every mapped attribute round-trips exactly."""

from __future__ import annotations

import datetime

import pytest

from .conftest import CORE, ENTERPRISE, TRAVELPERK, body, find_typed, full_payload, minimal_payload, user_url


def _user(user_id):
    from travelportal.companies.models import User

    return User.objects.get(pk=user_id)


def assert_ann_stored(user, company, catalogue) -> None:
    assert user.company == company
    assert user.scim_managed is True
    assert user.deleted_at is None
    assert user.username == "Ann.Lee@Contoso.example"
    assert user.external_id == "0a21f0f2-8d2a-4f8e-bf98-7a2ac8a2c9f1"
    assert user.is_active is True
    assert user.display_name == "Ann Lee"
    assert user.title == "Head of Travel"
    assert user.preferred_language == "en-GB"
    assert user.locale == "en-GB"
    assert (user.honorific_prefix, user.given_name, user.middle_name, user.family_name) == ("Dr", "Ann", "Marie", "Lee")
    assert user.work_email == "ann.lee@contoso.example"
    assert user.work_phone == "+1 (555) 010-0000"
    assert user.cost_centre is not None and user.cost_centre.name == "Sales"
    assert user.cost_centre.company == company
    assert user.gender == "F"
    assert user.date_of_birth == datetime.date(1985, 4, 12)
    assert user.travel_policy == catalogue["standard"]
    assert list(user.invoice_profiles.all()) == [catalogue["acme_ltd"]]
    assert user.emergency_contact_name == "Ann"
    assert user.emergency_contact_phone == "+34 600 000 000"
    assert user.manager is None


def assert_ann_document(doc) -> None:
    assert set(doc["schemas"]) >= {CORE, ENTERPRISE, TRAVELPERK}
    assert doc["userName"] == "Ann.Lee@Contoso.example"
    assert doc["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7a2ac8a2c9f1"
    assert doc["active"] is True
    assert doc["displayName"] == "Ann Lee"
    assert doc["title"] == "Head of Travel"
    assert doc["preferredLanguage"] == "en-GB"
    assert doc["locale"] == "en-GB"
    assert {k: doc["name"][k] for k in ("honorificPrefix", "givenName", "middleName", "familyName")} == {
        "honorificPrefix": "Dr",
        "givenName": "Ann",
        "middleName": "Marie",
        "familyName": "Lee",
    }
    email = find_typed(doc["emails"], "work")
    assert email["value"] == "ann.lee@contoso.example"
    assert email.get("primary", True) is True
    phone = find_typed(doc["phoneNumbers"], "work")
    assert phone["value"] == "+1 (555) 010-0000"
    assert doc[ENTERPRISE] == {"costCenter": "Sales"}
    assert doc[TRAVELPERK] == {
        "gender": "F",
        "dateOfBirth": "1985-04-12",
        "travelPolicy": "Standard",
        "invoiceProfiles": [{"value": "Acme Ltd"}],
        "emergencyContact": {"name": "Ann", "phone": "+34 600 000 000"},
    }
    for key in ("manager", "costCenter", "gender", "emergencyContact", "emergencyContact.name"):
        assert key not in doc, f"{key} leaked to the top level"


def test_post_with_every_attribute_answers_201_with_the_whole_resource(entra, company, catalogue):
    from travelportal.companies.models import User

    response = entra.post("Users", full_payload())

    assert response.status_code == 201, response.content
    doc = body(response)
    assert_ann_document(doc)
    assert_ann_stored(_user(doc["id"]), company, catalogue)
    assert User.objects.for_company(company).count() == 1


def test_post_answers_id_and_meta_with_an_absolute_location_and_a_version(entra, catalogue):
    response = entra.post("Users", full_payload())

    doc = body(response)
    user = _user(doc["id"])
    assert doc["id"] == str(user.pk)
    meta = doc["meta"]
    assert meta["resourceType"] == "User"
    assert meta["location"] == user_url(user.pk)
    assert isinstance(meta["version"], str) and meta["version"]
    assert meta["created"] and meta["lastModified"]
    assert response["Location"] == user_url(user.pk)


def test_get_after_post_answers_the_same_resource(entra, ann):
    response = entra.get(f"Users/{ann['id']}")

    assert response.status_code == 200
    assert body(response) == ann
    assert response["Content-Type"].startswith("application/scim+json")


def test_post_ignores_meta_roles_nulls_unknown_attributes_and_other_case(entra, company, catalogue):
    payload = full_payload()
    del payload["userName"]
    del payload["active"]
    payload.update(
        {
            "UserName": "Ann.Lee@Contoso.example",
            "Active": True,
            "id": "not-the-id-you-get",
            "meta": {"resourceType": "User", "created": "2001-01-01T00:00:00Z"},
            "roles": [],
            "nickName": None,
            "profileUrl": None,
            "favouriteColour": "teal",
            "urn:ietf:params:scim:schemas:extension:contoso:2.0:User": {"badge": "42"},
            "emails": [{"Primary": True, "Type": "work", "Value": "ann.lee@contoso.example"}],
        }
    )
    # department is an attribute the portal stores now (issue 9); division still is not.
    payload[ENTERPRISE] = {"costCenter": "Sales", "division": "Travel", "organization": None}
    payload[TRAVELPERK] = {**payload[TRAVELPERK], "seatPreference": "aisle"}

    response = entra.post("Users", payload)

    assert response.status_code == 201, response.content
    doc = body(response)
    assert doc["id"] != "not-the-id-you-get"
    assert doc["meta"]["created"][:4] != "2001"
    assert_ann_document(doc)
    assert_ann_stored(_user(doc["id"]), company, catalogue)
    assert "favouriteColour" not in doc and "roles" not in doc


@pytest.mark.parametrize("sent,stored", [("True", True), ("true", True), ("False", False), ("false", False)])
def test_post_accepts_string_booleans_and_answers_json_booleans(entra, sent, stored):
    response = entra.post("Users", minimal_payload("bool@contoso.example", active=sent))

    assert response.status_code == 201, response.content
    doc = body(response)
    assert doc["active"] is stored
    assert _user(doc["id"]).is_active is stored
    assert body(entra.get(f"Users/{doc['id']}"))["active"] is stored


def test_post_accepts_flat_dotted_extension_keys(entra, catalogue):
    payload = full_payload()
    payload[TRAVELPERK] = {
        "gender": "F",
        "dateOfBirth": "1985-04-12",
        "travelPolicy": "Standard",
        "invoiceProfiles": [{"value": "Acme Ltd"}],
        "emergencyContact.name": "Ann",
        "emergencyContact.phone": "+34 600 000 000",
    }

    response = entra.post("Users", payload)

    assert response.status_code == 201, response.content
    doc = body(response)
    assert doc[TRAVELPERK]["emergencyContact"] == {"name": "Ann", "phone": "+34 600 000 000"}
    assert "emergencyContact.name" not in doc[TRAVELPERK]
    user = _user(doc["id"])
    assert (user.emergency_contact_name, user.emergency_contact_phone) == ("Ann", "+34 600 000 000")


def test_post_accepts_fully_qualified_flat_extension_keys(entra, catalogue):
    payload = minimal_payload(
        "flat@contoso.example",
        **{
            f"{TRAVELPERK}:emergencyContact.name": "Ann",
            f"{TRAVELPERK}:emergencyContact.phone": "+34 600 000 000",
            f"{ENTERPRISE}:costCenter": "Sales",
        },
    )

    response = entra.post("Users", payload)

    assert response.status_code == 201, response.content
    doc = body(response)
    assert doc[TRAVELPERK]["emergencyContact"] == {"name": "Ann", "phone": "+34 600 000 000"}
    assert doc[ENTERPRISE]["costCenter"] == "Sales"
    assert _user(doc["id"]).cost_centre.name == "Sales"


def test_post_accepts_invoice_profiles_as_plain_strings(entra, catalogue):
    payload = full_payload()
    payload[TRAVELPERK]["invoiceProfiles"] = ["Acme Ltd", "Acme GmbH"]

    response = entra.post("Users", payload)

    assert response.status_code == 201, response.content
    doc = body(response)
    returned = [p["value"] if isinstance(p, dict) else p for p in doc[TRAVELPERK]["invoiceProfiles"]]
    assert sorted(returned) == ["Acme GmbH", "Acme Ltd"]
    assert set(_user(doc["id"]).invoice_profiles.all()) == {catalogue["acme_ltd"], catalogue["acme_gmbh"]}


def test_values_round_trip_exactly_as_sent(entra, catalogue):
    odd = {
        "userName": "MiXeD.Case+tag@Contoso.Example",
        "displayName": "Zoë O'Brien-Núñez (Travel)",
        "phoneNumbers": [{"type": "work", "value": "+1 (555) 010-0000 ext. 12"}],
        "locale": "pt_BR",
        "preferredLanguage": "zh-Hant-TW",
    }
    response = entra.post("Users", {**minimal_payload(odd["userName"]), **odd})
    assert response.status_code == 201, response.content
    doc = body(response)

    again = body(entra.get(f"Users/{doc['id']}"))
    for response_doc in (doc, again):
        assert response_doc["userName"] == "MiXeD.Case+tag@Contoso.Example"
        assert response_doc["displayName"] == "Zoë O'Brien-Núñez (Travel)"
        assert find_typed(response_doc["phoneNumbers"], "work")["value"] == "+1 (555) 010-0000 ext. 12"
        assert response_doc["locale"] == "pt_BR"
        assert response_doc["preferredLanguage"] == "zh-Hant-TW"
    assert _user(doc["id"]).work_phone == "+1 (555) 010-0000 ext. 12"


def test_post_without_extensions_answers_no_empty_extension_objects(entra):
    doc = body(entra.post("Users", minimal_payload("plain@contoso.example")))

    assert doc["userName"] == "plain@contoso.example"
    assert doc["active"] is True
    assert doc.get(ENTERPRISE) in (None, {}) or "manager" not in doc[ENTERPRISE]
    assert doc.get(TRAVELPERK, {}).get("invoiceProfiles") in (None, [])
    assert not any(v is None for v in doc.values())


def test_a_user_created_by_one_company_is_invisible_to_another(entra, other_entra, ann):
    from .conftest import assert_scim_error

    assert_scim_error(other_entra.get(f"Users/{ann['id']}"), 404)
    assert _user(ann["id"]).deleted_at is None
