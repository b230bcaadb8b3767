"""The manager reference (enterprise extension): every shape Entra sets and removes it
with, and the only shape it may come back in."""

from __future__ import annotations

import pytest

from .conftest import ENTERPRISE, assert_scim_error, body, full_payload, minimal_payload, user_url


def _user(user_id):
    from travelportal.companies.models import User

    return User.objects.get(pk=user_id)


def assert_manager_returned(doc: dict, mona: dict) -> None:
    assert doc[ENTERPRISE]["manager"] == {
        "value": mona["id"],
        "$ref": user_url(mona["id"]),
        "displayName": "Mona Manager",
    }
    assert "manager" not in doc
    assert ENTERPRISE in doc["schemas"]


def assert_no_manager(doc: dict) -> None:
    assert "manager" not in doc.get(ENTERPRISE, {})
    assert "manager" not in doc


def _set_shapes(manager_id: str) -> list:
    urn_path = f"{ENTERPRISE}:manager"
    return [
        {"op": "Add", "path": urn_path, "value": manager_id},
        {"op": "add", "path": urn_path, "value": manager_id},
        {"op": "Replace", "path": urn_path, "value": manager_id},
        {"op": "replace", "path": urn_path, "value": manager_id},
        {"op": "Add", "path": urn_path, "value": {"value": manager_id}},
        {"op": "add", "path": urn_path, "value": {"value": manager_id}},
        {"op": "Replace", "path": urn_path, "value": {"value": manager_id}},
        {"op": "replace", "path": urn_path, "value": {"value": manager_id}},
        {"op": "Add", "path": "manager", "value": [{"$ref": user_url(manager_id), "value": manager_id}]},
        {"op": "replace", "value": {urn_path: manager_id}},
        {"op": "replace", "value": {ENTERPRISE: {"manager": {"value": manager_id}}}},
    ]


SET_SHAPE_IDS = [
    "Add-string",
    "add-string",
    "Replace-string",
    "replace-string",
    "Add-object",
    "add-object",
    "Replace-object",
    "replace-object",
    "Add-manager-list-with-ref",
    "pathless-urn-key",
    "pathless-nested",
]


@pytest.mark.parametrize("shape", range(len(SET_SHAPE_IDS)), ids=SET_SHAPE_IDS)
def test_manager_set_by_patch_in_every_shape(entra, ann, mona, shape):
    response = entra.patch(f"Users/{ann['id']}", [_set_shapes(mona["id"])[shape]])

    assert response.status_code in (200, 204), response.content
    if response.status_code == 200:
        assert_manager_returned(body(response), mona)
    assert_manager_returned(body(entra.get(f"Users/{ann['id']}")), mona)
    assert str(_user(ann["id"]).manager_id) == mona["id"]
    # The rest of the enterprise object is untouched.
    assert body(entra.get(f"Users/{ann['id']}"))[ENTERPRISE]["costCenter"] == "Sales"


@pytest.mark.parametrize("manager", ["string", "object"])
def test_manager_set_in_a_post(entra, catalogue, mona, manager):
    payload = full_payload()
    payload[ENTERPRISE] = {
        "costCenter": "Sales",
        "manager": mona["id"] if manager == "string" else {"value": mona["id"]},
    }

    response = entra.post("Users", payload)

    assert response.status_code == 201, response.content
    doc = body(response)
    assert_manager_returned(doc, mona)
    assert_manager_returned(body(entra.get(f"Users/{doc['id']}")), mona)
    assert str(_user(doc["id"]).manager_id) == mona["id"]


def test_manager_found_in_a_list_is_returned_in_the_same_shape(entra, ann, mona):
    entra.patch(f"Users/{ann['id']}", [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": mona["id"]}])

    doc = body(entra.find('userName eq "ann.lee@contoso.example"'))

    assert_manager_returned(doc["Resources"][0], mona)


def _remove_shapes(manager_id: str) -> list:
    urn_path = f"{ENTERPRISE}:manager"
    return [
        {"op": "remove", "path": urn_path},
        {"op": "Remove", "path": urn_path},
        {"op": "replace", "path": urn_path, "value": ""},
        {"op": "Replace", "path": urn_path, "value": None},
        {"op": "Replace", "path": urn_path, "value": {"value": ""}},
        {"op": "remove", "path": f'manager[value eq "{manager_id}"]'},
        {"op": "Remove", "path": "manager", "value": [{"value": manager_id}]},
        {"op": "replace", "value": {urn_path: ""}},
    ]


REMOVE_SHAPE_IDS = [
    "remove-urn",
    "Remove-urn",
    "replace-empty-string",
    "Replace-null",
    "Replace-empty-object-value",
    "remove-value-filter",
    "Remove-manager-list",
    "pathless-empty",
]


@pytest.mark.parametrize("shape", range(len(REMOVE_SHAPE_IDS)), ids=REMOVE_SHAPE_IDS)
def test_manager_removed_in_every_shape_and_left_out(entra, ann, mona, shape):
    entra.patch(f"Users/{ann['id']}", [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": mona["id"]}])
    assert str(_user(ann["id"]).manager_id) == mona["id"]

    response = entra.patch(f"Users/{ann['id']}", [_remove_shapes(mona["id"])[shape]])

    assert response.status_code in (200, 204), response.content
    if response.status_code == 200:
        assert_no_manager(body(response))
    doc = body(entra.get(f"Users/{ann['id']}"))
    assert_no_manager(doc)
    assert doc[ENTERPRISE]["costCenter"] == "Sales"
    user = _user(ann["id"])
    assert user.manager_id is None
    assert user.pending_manager_ref == ""


def test_removing_a_manager_that_is_not_set_is_harmless(entra, ann):
    response = entra.patch(f"Users/{ann['id']}", [{"op": "remove", "path": f"{ENTERPRISE}:manager"}])

    assert response.status_code in (200, 204)
    assert_no_manager(body(entra.get(f"Users/{ann['id']}")))


def test_a_manager_of_another_company_is_refused_and_nothing_written(entra, ann, other_admin):
    response = entra.patch(
        f"Users/{ann['id']}",
        [
            {"op": "Replace", "path": "title", "value": "CFO"},
            {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": str(other_admin.pk)},
        ],
    )

    assert_scim_error(response, 400, "invalidValue")
    assert "globex" not in body(response)["detail"].lower()
    user = _user(ann["id"])
    assert user.manager_id is None and user.title == "Head of Travel"


def test_a_person_cannot_be_their_own_manager(entra, ann):
    response = entra.patch(f"Users/{ann['id']}", [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": ann["id"]}])

    assert_scim_error(response, 400, "invalidValue")
    assert _user(ann["id"]).manager_id is None


def test_the_manager_display_name_follows_the_manager(entra, ann, mona):
    entra.patch(f"Users/{ann['id']}", [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": mona["id"]}])
    entra.patch(f"Users/{mona['id']}", [{"op": "Replace", "path": "displayName", "value": "Mona M. Manager"}])

    doc = body(entra.get(f"Users/{ann['id']}"))

    assert doc[ENTERPRISE]["manager"]["displayName"] == "Mona M. Manager"


def test_a_deleted_manager_is_no_longer_returned(entra, ann, mona):
    entra.patch(f"Users/{ann['id']}", [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": mona["id"]}])

    assert entra.delete(f"Users/{mona['id']}").status_code == 204

    assert_no_manager(body(entra.get(f"Users/{ann['id']}")))


def test_minimal_user_with_manager_has_enterprise_schema(entra, mona):
    doc = body(entra.post("Users", minimal_payload("x@contoso.example", **{ENTERPRISE: {"manager": mona["id"]}})))

    assert_manager_returned(doc, mona)
