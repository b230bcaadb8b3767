"""PATCH in every form Entra sends (RFC 7644 §3.5.2 and Entra's deviations)."""

from __future__ import annotations

import pytest

from tests.scim.conftest import ENTERPRISE, TRAVELPERK, db_state
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db

MANAGER = f"{ENTERPRISE}:manager"


def _patch(scim, resource, *operations):
    response = scim.patch(f"Users/{resource['id']}", list(operations))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Add", "path": MANAGER, "value": "{id}"},
        {"op": "add", "path": MANAGER, "value": {"value": "{id}"}},
        {"op": "replace", "path": MANAGER, "value": {"value": "{id}"}},
        {"op": "Replace", "path": MANAGER, "value": "{id}"},
        {"op": "Add", "path": "manager", "value": [{"$ref": "https://x.example/Users/{id}", "value": "{id}"}]},
        {"op": "replace", "value": {MANAGER: "{id}"}},
        {"op": "replace", "value": {ENTERPRISE: {"manager": {"value": "{id}"}}}},
    ],
    ids=["string", "object", "replace-object", "replace-string", "list-with-ref", "pathless", "pathless-nested"],
)
def test_every_manager_shape_sets_the_manager(scim, created, acme_admin, operation):
    def fill(value):
        if isinstance(value, str):
            return value.replace("{id}", str(acme_admin.pk))
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k.replace("{id}", str(acme_admin.pk)): fill(v) for k, v in value.items()}
        return value

    resource = _patch(scim, created, fill(operation))

    assert resource[ENTERPRISE]["manager"]["value"] == str(acme_admin.pk)
    assert User.objects.get(pk=created["id"]).manager == acme_admin


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": MANAGER},
        {"op": "replace", "path": MANAGER, "value": ""},
        {"op": "replace", "path": MANAGER, "value": None},
        {"op": "remove", "path": 'manager[value eq "{id}"]'},
    ],
    ids=["remove", "replace-empty", "replace-null", "remove-value-filter"],
)
def test_every_manager_removal_shape_removes_it(scim, created, acme_admin, operation):
    _patch(scim, created, {"op": "add", "path": MANAGER, "value": str(acme_admin.pk)})
    operation = {k: (v.replace("{id}", str(acme_admin.pk)) if isinstance(v, str) else v) for k, v in operation.items()}

    resource = _patch(scim, created, operation)

    assert "manager" not in resource.get(ENTERPRISE, {})
    assert User.objects.get(pk=created["id"]).manager is None


def test_a_manager_is_set_by_the_post_body_as_a_string_or_object(scim, catalogue, acme_admin):
    as_string = scim.post("Users", {"userName": "s@acme.example", ENTERPRISE: {"manager": str(acme_admin.pk)}})
    as_object = scim.post(
        "Users", {"userName": "o@acme.example", ENTERPRISE: {"manager": {"value": str(acme_admin.pk)}}}
    )

    assert as_string.json()[ENTERPRISE]["manager"]["value"] == str(acme_admin.pk)
    assert as_object.json()[ENTERPRISE]["manager"]["value"] == str(acme_admin.pk)


def test_value_filter_paths_create_missing_elements(scim, catalogue):
    bare = scim.post("Users", {"userName": "bare@acme.example"}).json()

    resource = _patch(
        scim,
        bare,
        {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "+1 555"},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "bare@work.example"},
    )

    assert resource["phoneNumbers"] == [{"value": "+1 555", "type": "work", "primary": True}]
    assert resource["emails"] == [{"value": "bare@work.example", "type": "work", "primary": True}]


def test_adding_a_work_email_replaces_the_stored_one(scim, created):
    resource = _patch(
        scim, created, {"op": "add", "path": "emails", "value": [{"type": "work", "value": "new@x.example"}]}
    )

    assert resource["emails"] == [{"value": "new@x.example", "type": "work", "primary": True}]
    assert User.objects.get(pk=created["id"]).work_email == "new@x.example"


def test_attribute_names_and_ops_are_case_insensitive(scim, created):
    resource = _patch(
        scim,
        created,
        {"op": "REPLACE", "path": "name.FamilyName", "value": "Upper"},
        {"op": "Replace", "path": 'emails[type eq "work"].Value', "value": "x@acme.example"},
        {"op": "replace", "path": "UserName", "value": "renamed@acme.example"},
    )

    assert resource["name"]["familyName"] == "Upper"
    assert resource["emails"][0]["value"] == "x@acme.example"
    assert resource["userName"] == "renamed@acme.example"


@pytest.mark.parametrize("empty", ["", None])
def test_empty_or_null_replace_clears(scim, created, empty):
    resource = _patch(
        scim,
        created,
        {"op": "replace", "path": "title", "value": empty},
        {"op": "replace", "path": f"{ENTERPRISE}:costCenter", "value": empty},
        {"op": "replace", "path": f"{TRAVELPERK}:travelPolicy", "value": empty},
        {"op": "replace", "path": f"{TRAVELPERK}:dateOfBirth", "value": empty},
        {"op": "replace", "path": 'phoneNumbers[type eq "work"].value', "value": empty},
    )

    assert "title" not in resource and "phoneNumbers" not in resource
    assert "costCenter" not in resource.get(ENTERPRISE, {})
    assert "travelPolicy" not in resource[TRAVELPERK] and "dateOfBirth" not in resource[TRAVELPERK]
    user = User.objects.get(pk=created["id"])
    assert (user.title, user.cost_centre, user.travel_policy, user.date_of_birth, user.work_phone) == (
        "",
        None,
        None,
        None,
        "",
    )


def test_extension_paths_and_flat_sub_attributes(scim, created, catalogue):
    resource = _patch(
        scim,
        created,
        {"op": "replace", "path": f"{TRAVELPERK}:emergencyContact.name", "value": "Carl"},
        {"op": "replace", "path": f"{TRAVELPERK}:invoiceProfiles", "value": [{"value": "Acme Inc"}]},
        {"op": "add", "path": f"{TRAVELPERK}:gender", "value": "Male"},
        {"op": "replace", "value": {f"{TRAVELPERK}:emergencyContact.phone": "+1"}},
    )

    assert resource[TRAVELPERK]["emergencyContact"] == {"name": "Carl", "phone": "+1"}
    assert resource[TRAVELPERK]["invoiceProfiles"] == [{"value": "Acme Inc"}]
    assert resource[TRAVELPERK]["gender"] == "M"


def test_add_to_invoice_profiles_appends_and_remove_takes_only_the_listed(scim, created):
    path = f"{TRAVELPERK}:invoiceProfiles"
    resource = _patch(scim, created, {"op": "add", "path": path, "value": ["Acme Inc"]})
    assert resource[TRAVELPERK]["invoiceProfiles"] == [{"value": "Acme Inc"}, {"value": "Acme Ltd"}]

    resource = _patch(scim, created, {"op": "remove", "path": path, "value": [{"value": "Acme Ltd"}]})
    assert resource[TRAVELPERK]["invoiceProfiles"] == [{"value": "Acme Inc"}]


def test_plain_nested_objects_as_value_merge(scim, created):
    resource = _patch(scim, created, {"op": "replace", "value": {"name": {"givenName": "Nested"}}})

    assert resource["name"] == {**created["name"], "givenName": "Nested"}


@pytest.mark.parametrize("value", [False, "False", "false", {"active": False}])
def test_every_disable_shape(scim, created, value):
    operation = (
        {"op": "replace", "value": value}
        if isinstance(value, dict)
        else {"op": "Replace", "path": "active", "value": value}
    )

    assert _patch(scim, created, operation)["active"] is False
    assert User.objects.get(pk=created["id"]).is_active is False


def test_operations_apply_all_or_nothing(scim, created):
    before = db_state()

    response = scim.patch(
        f"Users/{created['id']}",
        [
            {"op": "replace", "path": "title", "value": "Changed"},
            {"op": "replace", "path": f"{TRAVELPERK}:travelPolicy", "value": "Nope"},
        ],
    )

    assert response.status_code == 400
    assert db_state() == before
    assert User.objects.get(pk=created["id"]).title == "Engineer"
