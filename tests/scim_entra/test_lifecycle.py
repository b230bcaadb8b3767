"""Disable, enable and delete, in every shape Entra sends them."""

from __future__ import annotations

import pytest

from .conftest import assert_scim_error, body, minimal_payload


def _user(user_id):
    from travelportal.companies.models import User

    return User.objects.get(pk=user_id)


DISABLE = [
    {"op": "Replace", "path": "active", "value": False},
    {"op": "Replace", "path": "active", "value": "False"},
    {"op": "Replace", "path": "active", "value": "false"},
    {"op": "replace", "path": "active", "value": False},
    {"op": "replace", "value": {"active": False}},
    {"op": "replace", "value": {"active": "False"}},
    {"op": "Add", "path": "active", "value": "False"},
    {"op": "Replace", "path": "Active", "value": False},
]
ENABLE = [
    {"op": "Replace", "path": "active", "value": True},
    {"op": "Replace", "path": "active", "value": "True"},
    {"op": "Replace", "path": "active", "value": "true"},
    {"op": "replace", "path": "active", "value": True},
    {"op": "replace", "value": {"active": True}},
    {"op": "replace", "value": {"active": "True"}},
    {"op": "Add", "path": "active", "value": "True"},
    {"op": "Replace", "path": "Active", "value": True},
]
IDS = [
    "Replace-bool",
    "Replace-True-string",
    "Replace-true-string",
    "replace-bool",
    "pathless-bool",
    "pathless-string",
    "Add-string",
    "Active-path",
]


@pytest.mark.parametrize("operation", DISABLE, ids=IDS)
def test_disable_in_every_shape(entra, ann, operation):
    response = entra.patch(f"Users/{ann['id']}", [operation])

    assert response.status_code in (200, 204), response.content
    if response.status_code == 200:
        assert body(response)["active"] is False
    doc = body(entra.get(f"Users/{ann['id']}"))
    assert doc["active"] is False
    user = _user(ann["id"])
    assert user.is_active is False
    assert user.deleted_at is None
    # Nothing else changed.
    assert doc["userName"] == ann["userName"] and doc["title"] == ann["title"]


@pytest.mark.parametrize("operation", ENABLE, ids=IDS)
def test_enable_in_every_shape(entra, make_user, operation):
    created = make_user("off@contoso.example", active=False)
    assert _user(created["id"]).is_active is False

    response = entra.patch(f"Users/{created['id']}", [operation])

    assert response.status_code in (200, 204), response.content
    if response.status_code == 200:
        assert body(response)["active"] is True
    assert body(entra.get(f"Users/{created['id']}"))["active"] is True
    assert _user(created["id"]).is_active is True


def test_disabling_twice_is_harmless(entra, ann):
    for _ in range(2):
        response = entra.patch(f"Users/{ann['id']}", [{"op": "Replace", "path": "active", "value": "False"}])
        assert response.status_code in (200, 204)

    assert _user(ann["id"]).is_active is False


def test_delete_answers_204_then_404_for_get_patch_and_a_second_delete(entra, ann):
    response = entra.delete(f"Users/{ann['id']}")

    assert response.status_code == 204
    assert response.content == b""
    user = _user(ann["id"])
    assert user.deleted_at is not None
    assert_scim_error(entra.get(f"Users/{ann['id']}"), 404)
    assert_scim_error(entra.delete(f"Users/{ann['id']}"), 404)
    assert_scim_error(entra.delete(f"Users/{ann['id']}"), 404)
    assert_scim_error(entra.patch(f"Users/{ann['id']}", [{"op": "Replace", "path": "title", "value": "x"}]), 404)
    assert _user(ann["id"]).deleted_at == user.deleted_at
    assert _user(ann["id"]).title == "Head of Travel"


def test_a_deleted_user_leaves_the_list(entra, ann, make_user):
    bob = make_user("bob@contoso.example")

    entra.delete(f"Users/{ann['id']}")

    doc = body(entra.get("Users"))
    assert doc["totalResults"] == 1
    assert [r["id"] for r in doc["Resources"]] == [bob["id"]]


def test_the_username_of_a_deleted_user_can_be_provisioned_again(entra, ann):
    from travelportal.companies.models import User

    entra.delete(f"Users/{ann['id']}")

    response = entra.post("Users", minimal_payload("ann.lee@contoso.example"))

    assert response.status_code == 201, response.content
    assert body(response)["id"] != ann["id"]
    assert User.objects.with_username("ann.lee@contoso.example").count() == 1


def test_another_company_cannot_delete_or_patch(entra, other_entra, ann):
    assert_scim_error(other_entra.delete(f"Users/{ann['id']}"), 404)
    assert_scim_error(
        other_entra.patch(f"Users/{ann['id']}", [{"op": "Replace", "path": "active", "value": False}]), 404
    )

    user = _user(ann["id"])
    assert user.deleted_at is None and user.is_active is True


def test_after_delete_and_recreate_the_filter_finds_only_the_new_user(entra, ann):
    entra.delete(f"Users/{ann['id']}")
    new = body(entra.post("Users", minimal_payload("Ann.Lee@Contoso.example")))

    doc = body(entra.find('userName eq "ann.lee@contoso.example"'))

    assert doc["totalResults"] == 1
    assert [r["id"] for r in doc["Resources"]] == [new["id"]]


def test_a_disabled_user_can_still_be_updated(entra, ann):
    entra.patch(f"Users/{ann['id']}", [{"op": "Replace", "path": "active", "value": False}])

    response = entra.patch(f"Users/{ann['id']}", [{"op": "Replace", "path": "title", "value": "Former CFO"}])

    assert response.status_code in (200, 204), response.content
    user = _user(ann["id"])
    assert (user.title, user.is_active) == ("Former CFO", False)
    assert body(entra.get(f"Users/{ann['id']}"))["active"] is False
