"""PATCH in both of Entra's dialects (older capitalised one-op-per-attribute, newer
path-less folded ops), extension and value-filter paths, clearing, and atomicity."""

from __future__ import annotations

import datetime

import pytest

from .conftest import ENTERPRISE, TRAVELPERK, assert_scim_error, body, find_typed


def _user(user_id):
    from travelportal.companies.models import User

    return User.objects.get(pk=user_id)


def _patch_ok(entra, user_id, operations) -> dict:
    """200 with the resource (or 204); either way a GET answers the same document."""
    response = entra.patch(f"Users/{user_id}", operations)
    assert response.status_code in (200, 204), response.content
    read = entra.get(f"Users/{user_id}")
    assert read.status_code == 200
    if response.status_code == 200:
        patched = body(response)
        assert patched == body(read)
    return body(read)


def test_patch_answers_200_with_the_resource(entra, ann):
    response = entra.patch(f"Users/{ann['id']}", [{"op": "Replace", "path": "title", "value": "CFO"}])

    assert response.status_code == 200
    doc = body(response)
    assert doc["id"] == ann["id"]
    assert doc["title"] == "CFO"
    assert doc["meta"]["version"] != ann["meta"]["version"]


def test_older_dialect_capitalised_ops_one_per_attribute(entra, ann):
    doc = _patch_ok(
        entra,
        ann["id"],
        [
            {"op": "Replace", "path": "name.givenName", "value": "Annie"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "annie@contoso.example"},
            {"op": "Replace", "path": 'phoneNumbers[type eq "work"].value', "value": "+44 20 7946 0000"},
            {"op": "Add", "path": "title", "value": "CFO"},
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "path": "externalId", "value": "new-ext"},
            {"op": "Replace", "path": "preferredLanguage", "value": "fr-FR"},
            {"op": "Replace", "path": "name.honorificPrefix", "value": "Prof"},
        ],
    )

    assert doc["name"]["givenName"] == "Annie"
    assert doc["name"]["familyName"] == "Lee"
    assert doc["name"]["honorificPrefix"] == "Prof"
    assert find_typed(doc["emails"], "work")["value"] == "annie@contoso.example"
    assert len([e for e in doc["emails"] if e.get("type") == "work"]) == 1
    assert find_typed(doc["phoneNumbers"], "work")["value"] == "+44 20 7946 0000"
    assert doc["title"] == "CFO"
    assert doc["active"] is False
    assert doc["externalId"] == "new-ext"
    user = _user(ann["id"])
    assert (user.given_name, user.family_name, user.honorific_prefix) == ("Annie", "Lee", "Prof")
    assert user.work_email == "annie@contoso.example"
    assert user.work_phone == "+44 20 7946 0000"
    assert user.title == "CFO"
    assert user.is_active is False
    assert user.external_id == "new-ext"
    assert user.preferred_language == "fr-FR"


def test_newer_dialect_path_less_replace_keyed_by_paths(entra, ann):
    doc = _patch_ok(
        entra,
        ann["id"],
        [
            {
                "op": "replace",
                "value": {
                    "name.givenName": "Annie",
                    "title": "CFO",
                    f"{ENTERPRISE}:costCenter": "Finance",
                    f"{TRAVELPERK}:emergencyContact.phone": "+34 611 111 111",
                    "active": False,
                },
            }
        ],
    )

    assert doc["name"]["givenName"] == "Annie"
    assert doc["name"]["familyName"] == "Lee"
    assert doc["title"] == "CFO"
    assert doc[ENTERPRISE]["costCenter"] == "Finance"
    assert doc[TRAVELPERK]["emergencyContact"] == {"name": "Ann", "phone": "+34 611 111 111"}
    assert doc["active"] is False
    user = _user(ann["id"])
    assert (user.given_name, user.family_name, user.title) == ("Annie", "Lee", "CFO")
    assert user.cost_centre.name == "Finance"
    assert user.emergency_contact_phone == "+34 611 111 111"
    assert user.emergency_contact_name == "Ann"
    assert user.is_active is False


def test_newer_dialect_path_less_add_keyed_by_paths(entra, make_user):
    created = make_user("plain@contoso.example")

    doc = _patch_ok(
        entra,
        created["id"],
        [{"op": "add", "value": {"title": "CFO", 'phoneNumbers[type eq "work"].value': "+1 (555) 010-0000"}}],
    )

    assert doc["title"] == "CFO"
    assert find_typed(doc["phoneNumbers"], "work")["value"] == "+1 (555) 010-0000"
    assert _user(created["id"]).work_phone == "+1 (555) 010-0000"


def test_plain_nested_object_replaces_only_the_given_sub_attributes(entra, ann):
    doc = _patch_ok(entra, ann["id"], [{"op": "replace", "value": {"name": {"givenName": "Annie"}}}])

    assert doc["name"]["givenName"] == "Annie"
    assert doc["name"]["familyName"] == "Lee"
    assert doc["name"]["middleName"] == "Marie"
    user = _user(ann["id"])
    assert (user.given_name, user.middle_name, user.family_name) == ("Annie", "Marie", "Lee")


def test_plain_nested_extension_object_in_a_path_less_replace(entra, ann, catalogue):
    doc = _patch_ok(
        entra,
        ann["id"],
        [{"op": "replace", "value": {TRAVELPERK: {"travelPolicy": "Premium", "emergencyContact": {"name": "Bo"}}}}],
    )

    assert doc[TRAVELPERK]["travelPolicy"] == "Premium"
    assert doc[TRAVELPERK]["emergencyContact"] == {"name": "Bo", "phone": "+34 600 000 000"}
    assert doc[TRAVELPERK]["gender"] == "F"
    user = _user(ann["id"])
    assert user.travel_policy == catalogue["premium"]
    assert (user.emergency_contact_name, user.emergency_contact_phone) == ("Bo", "+34 600 000 000")


@pytest.mark.parametrize(
    "path,value,attribute,stored",
    [
        (f"{ENTERPRISE}:costCenter", "Marketing", "cost_centre", "Marketing"),
        (f"{TRAVELPERK}:emergencyContact.phone", "+34 622 222 222", "emergency_contact_phone", "+34 622 222 222"),
        (f"{TRAVELPERK}:emergencyContact.name", "Bea", "emergency_contact_name", "Bea"),
        (f"{TRAVELPERK}:gender", "M", "gender", "M"),
        (f"{TRAVELPERK}:dateOfBirth", "1990-01-31", "date_of_birth", datetime.date(1990, 1, 31)),
        (f"{TRAVELPERK}:travelPolicy", "Premium", "travel_policy", "Premium"),
    ],
)
@pytest.mark.parametrize("op", ["Replace", "Add", "replace", "add"])
def test_extension_paths(entra, ann, op, path, value, attribute, stored):
    doc = _patch_ok(entra, ann["id"], [{"op": op, "path": path, "value": value}])

    urn, _, rest = path.rpartition(":")
    if "." in rest:
        parent, sub = rest.split(".")
        assert doc[urn][parent][sub] == value
    else:
        assert doc[urn][rest] == value
    found = getattr(_user(ann["id"]), attribute)
    assert (found.name if hasattr(found, "name") else found) == stored


def test_invoice_profiles_replaced_by_extension_path(entra, ann, catalogue):
    doc = _patch_ok(
        entra,
        ann["id"],
        [{"op": "Replace", "path": f"{TRAVELPERK}:invoiceProfiles", "value": [{"value": "Acme GmbH"}]}],
    )

    assert doc[TRAVELPERK]["invoiceProfiles"] == [{"value": "Acme GmbH"}]
    assert list(_user(ann["id"]).invoice_profiles.all()) == [catalogue["acme_gmbh"]]


def test_invoice_profiles_added_as_plain_strings(entra, ann, catalogue):
    _patch_ok(entra, ann["id"], [{"op": "Add", "path": f"{TRAVELPERK}:invoiceProfiles", "value": ["Acme GmbH"]}])

    assert set(_user(ann["id"]).invoice_profiles.all()) == {catalogue["acme_ltd"], catalogue["acme_gmbh"]}


@pytest.mark.parametrize(
    "path",
    ["name.FamilyName", "NAME.familyname", "Name.FamilyName"],
)
def test_attribute_names_in_paths_are_case_insensitive(entra, ann, path):
    doc = _patch_ok(entra, ann["id"], [{"op": "Replace", "path": path, "value": "Lee-Smith"}])

    assert doc["name"]["familyName"] == "Lee-Smith"
    assert "FamilyName" not in doc["name"]
    assert _user(ann["id"]).family_name == "Lee-Smith"


def test_value_filter_sub_attribute_name_is_case_insensitive(entra, ann):
    doc = _patch_ok(
        entra,
        ann["id"],
        [
            {"op": "Replace", "path": 'emails[type eq "work"].Value', "value": "annie@contoso.example"},
            {"op": "Replace", "path": 'PhoneNumbers[Type eq "work"].VALUE', "value": "+1 555 0100"},
            {"op": "Replace", "path": "Title", "value": "CFO"},
            {"op": "Replace", "path": f"{ENTERPRISE}:CostCenter", "value": "Ops"},
        ],
    )

    assert find_typed(doc["emails"], "work")["value"] == "annie@contoso.example"
    assert find_typed(doc["phoneNumbers"], "work")["value"] == "+1 555 0100"
    assert doc["title"] == "CFO"
    assert doc[ENTERPRISE]["costCenter"] == "Ops"
    user = _user(ann["id"])
    assert (user.work_email, user.work_phone, user.title, user.cost_centre.name) == (
        "annie@contoso.example",
        "+1 555 0100",
        "CFO",
        "Ops",
    )


@pytest.mark.parametrize("cleared", ["", None])
def test_empty_string_or_null_in_a_replace_clears(entra, ann, cleared):
    doc = _patch_ok(
        entra,
        ann["id"],
        [
            {"op": "Replace", "path": "title", "value": cleared},
            {"op": "Replace", "path": "name.middleName", "value": cleared},
            {"op": "Replace", "path": 'phoneNumbers[type eq "work"].value', "value": cleared},
            {"op": "Replace", "path": f"{ENTERPRISE}:costCenter", "value": cleared},
            {"op": "Replace", "path": f"{TRAVELPERK}:emergencyContact.phone", "value": cleared},
            {"op": "Replace", "path": f"{TRAVELPERK}:travelPolicy", "value": cleared},
            {"op": "Replace", "path": f"{TRAVELPERK}:dateOfBirth", "value": cleared},
            {"op": "Replace", "path": f"{TRAVELPERK}:gender", "value": cleared},
        ],
    )

    assert not doc.get("title")
    assert not doc["name"].get("middleName")
    assert doc["name"]["givenName"] == "Ann"
    assert not [p for p in doc.get("phoneNumbers") or [] if p.get("value")]
    assert not doc.get(ENTERPRISE, {}).get("costCenter")
    tp = doc[TRAVELPERK]
    assert not tp.get("emergencyContact", {}).get("phone")
    assert tp["emergencyContact"]["name"] == "Ann"
    assert not tp.get("travelPolicy") and not tp.get("dateOfBirth") and not tp.get("gender")
    user = _user(ann["id"])
    assert (user.title, user.middle_name, user.work_phone, user.emergency_contact_phone) == ("", "", "", "")
    assert user.cost_centre is None and user.travel_policy is None and user.date_of_birth is None
    assert user.gender == ""


def test_path_less_replace_with_empty_values_clears(entra, ann):
    doc = _patch_ok(entra, ann["id"], [{"op": "replace", "value": {"title": "", "name.middleName": None}}])

    assert not doc.get("title")
    assert not doc["name"].get("middleName")
    user = _user(ann["id"])
    assert (user.title, user.middle_name) == ("", "")


def test_response_leaves_out_cleared_values_instead_of_nulls(entra, ann):
    doc = _patch_ok(entra, ann["id"], [{"op": "Replace", "path": "title", "value": ""}])

    assert "title" not in doc or doc["title"] is not None
    assert None not in doc.values()


@pytest.mark.parametrize("op", ["Add", "add", "Replace", "replace"])
def test_a_value_filter_path_on_a_missing_element_creates_it(entra, make_user, op):
    created = make_user("plain@contoso.example")
    assert not created.get("phoneNumbers") and not created.get("emails")

    doc = _patch_ok(
        entra,
        created["id"],
        [
            {"op": op, "path": 'phoneNumbers[type eq "work"].value', "value": "+1 (555) 010-0000"},
            {"op": op, "path": 'emails[type eq "work"].value', "value": "plain@contoso.example"},
        ],
    )

    phone = find_typed(doc["phoneNumbers"], "work")
    assert phone is not None and phone["value"] == "+1 (555) 010-0000"
    assert find_typed(doc["emails"], "work")["value"] == "plain@contoso.example"
    user = _user(created["id"])
    assert (user.work_phone, user.work_email) == ("+1 (555) 010-0000", "plain@contoso.example")


def test_replacing_username_keeps_the_case_sent(entra, ann):
    doc = _patch_ok(entra, ann["id"], [{"op": "Replace", "path": "userName", "value": "Ann.SMITH@Contoso.example"}])

    assert doc["userName"] == "Ann.SMITH@Contoso.example"
    assert _user(ann["id"]).username == "Ann.SMITH@Contoso.example"


class TestAtomicity:
    @pytest.mark.parametrize(
        "bad_op,scim_type",
        [
            ({"op": "Replace", "path": f"{TRAVELPERK}:gender", "value": "X"}, "invalidValue"),
            ({"op": "Replace", "path": f"{TRAVELPERK}:dateOfBirth", "value": "12/04/1985"}, "invalidValue"),
            ({"op": "Replace", "path": f"{TRAVELPERK}:travelPolicy", "value": "No Such Policy"}, "invalidValue"),
            ({"op": "Replace", "path": f"{TRAVELPERK}:travelPolicy", "value": "Globex Only"}, "invalidValue"),
            ({"op": "Replace", "path": "active", "value": "maybe"}, "invalidValue"),
            ({"op": "Replace", "path": "favouriteColour", "value": "teal"}, "invalidPath"),
            ({"op": "Replace", "path": "name[", "value": "x"}, "invalidPath"),
            ({"op": "Frobnicate", "path": "title", "value": "x"}, "invalidSyntax"),
            ({"op": "remove"}, "noTarget"),
            ({"op": "Replace", "path": "id", "value": "00000000-0000-0000-0000-000000000000"}, "mutability"),
            ({"op": "Replace", "path": "title", "value": "x" * 5000}, "invalidValue"),
        ],
    )
    def test_one_bad_operation_means_nothing_is_applied(self, entra, ann, bad_op, scim_type):
        before = _user(ann["id"])

        response = entra.patch(
            f"Users/{ann['id']}",
            [
                {"op": "Replace", "path": "title", "value": "CFO"},
                {"op": "Replace", "path": "name.givenName", "value": "Annie"},
                {"op": "Replace", "path": f"{ENTERPRISE}:costCenter", "value": "Brand New Centre"},
                bad_op,
                {"op": "Replace", "path": "locale", "value": "fr-FR"},
            ],
        )

        assert_scim_error(response, 400, scim_type)
        after = _user(ann["id"])
        assert (after.title, after.given_name, after.locale) == ("Head of Travel", "Ann", "en-GB")
        assert after.is_active is True
        assert after.cost_centre.name == "Sales"
        assert after.updated_at == before.updated_at
        from travelportal.companies.models import CostCentre

        assert not CostCentre.objects.filter(name="Brand New Centre").exists()
        assert body(entra.get(f"Users/{ann['id']}")) == ann

    def test_patch_body_without_operations_is_a_400(self, entra, ann):
        response = entra.patch(
            f"Users/{ann['id']}", raw='{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}'
        )

        assert_scim_error(response, 400, "invalidSyntax")

    def test_patch_body_that_is_not_json_is_a_400(self, entra, ann):
        assert_scim_error(entra.patch(f"Users/{ann['id']}", raw="{not json"), 400, "invalidSyntax")

    def test_patching_the_username_to_a_taken_one_is_a_409_and_nothing_applied(self, entra, ann, make_user):
        bob = make_user("bob@contoso.example")

        response = entra.patch(
            f"Users/{bob['id']}",
            [
                {"op": "Replace", "path": "title", "value": "CFO"},
                {"op": "Replace", "path": "userName", "value": "ANN.LEE@contoso.example"},
            ],
        )

        assert_scim_error(response, 409, "uniqueness")
        user = _user(bob["id"])
        assert (user.username, user.title) == ("bob@contoso.example", "")
