"""A person's groups: in their SCIM resource (RFC 7643 §4.1.2, read-only), kept while
they are deactivated, gone when the group is deleted or they leave it or are deleted."""

from __future__ import annotations

import pytest

from tests.scim.conftest import entra_user

pytestmark = pytest.mark.django_db


def _groups(scim, person_id: str) -> list[dict]:
    response = scim.get(f"Users/{person_id}")
    assert response.status_code == 200, response.content
    return response.json().get("groups", [])


def _memberships(person_id) -> set[str]:
    from travelportal.companies.models import GroupMembership

    return {str(g) for g in GroupMembership.objects.filter(user_id=person_id).values_list("group_id", flat=True)}


def test_a_persons_groups_are_in_their_resource(scim, created, make_group):
    sales = make_group("Sales", [created["id"]])
    emea = make_group("EMEA", [created["id"]])
    make_group("Nobody's")

    groups = _groups(scim, created["id"])

    assert sorted(groups, key=lambda g: g["display"]) == [
        {"value": emea["id"], "$ref": f"http://testserver/scim/v2/Groups/{emea['id']}", "display": "EMEA"},
        {"value": sales["id"], "$ref": f"http://testserver/scim/v2/Groups/{sales['id']}", "display": "Sales"},
    ]


def test_a_persons_groups_are_in_lists_and_filters_too(scim, created, make_group):
    sales = make_group("Sales", [created["id"]])

    listed = scim.client.get(
        "/scim/v2/Users", {"filter": f'userName eq "{created["userName"]}"'}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
    ).json()

    assert [g["value"] for g in listed["Resources"][0]["groups"]] == [sales["id"]]


def test_a_person_in_no_group_has_no_groups_attribute(scim, created, make_group):
    make_group("Sales")

    assert "groups" not in scim.get(f"Users/{created['id']}").json()


def test_a_renamed_group_shows_its_new_name(scim, created, make_group):
    sales = make_group("Sales", [created["id"]])
    scim.patch(f"Groups/{sales['id']}", [{"op": "replace", "path": "displayName", "value": "Sales EMEA"}])

    assert [g["display"] for g in _groups(scim, created["id"])] == ["Sales EMEA"]


def test_the_group_is_gone_from_the_person_once_deleted(scim, created, make_group):
    sales = make_group("Sales", [created["id"]])
    emea = make_group("EMEA", [created["id"]])

    assert scim.delete(f"Groups/{sales['id']}").status_code == 204

    assert [g["value"] for g in _groups(scim, created["id"])] == [emea["id"]]


def test_the_group_is_gone_from_the_person_once_removed(scim, created, make_group):
    sales = make_group("Sales", [created["id"]])

    response = scim.patch(f"Groups/{sales['id']}", [{"op": "remove", "path": f'members[value eq "{created["id"]}"]'}])

    assert response.status_code == 204
    assert _groups(scim, created["id"]) == []


def test_groups_cannot_be_changed_through_the_user(scim, created, make_group):
    sales = make_group("Sales")

    response = scim.patch(
        f"Users/{created['id']}", [{"op": "add", "path": "groups", "value": [{"value": sales["id"]}]}]
    )

    assert response.status_code == 400, response.content
    assert response.json()["scimType"] == "mutability"
    assert _memberships(created["id"]) == set()


def test_a_deactivated_person_keeps_their_memberships_and_reactivation_restores_them(scim, created, make_group):
    sales = make_group("Sales", [created["id"]])

    off = scim.patch(f"Users/{created['id']}", [{"op": "Replace", "path": "active", "value": "False"}])
    assert off.status_code == 200, off.content
    assert _memberships(created["id"]) == {sales["id"]}
    assert [g["value"] for g in off.json()["groups"]] == [sales["id"]]
    assert [m["value"] for m in scim.get(f"Groups/{sales['id']}").json()["members"]] == [created["id"]]

    on = scim.patch(f"Users/{created['id']}", [{"op": "Replace", "path": "active", "value": "True"}])

    assert on.status_code == 200, on.content
    assert on.json()["active"] is True
    assert [g["value"] for g in on.json()["groups"]] == [sales["id"]]


def test_a_deactivated_person_can_still_be_added_to_a_group(scim, created, make_group):
    sales = make_group("Sales")
    scim.patch(f"Users/{created['id']}", [{"op": "Replace", "path": "active", "value": False}])

    response = scim.patch(
        f"Groups/{sales['id']}", [{"op": "add", "path": "members", "value": [{"value": created["id"]}]}]
    )

    assert response.status_code == 204, response.content
    assert _memberships(created["id"]) == {sales["id"]}


def test_a_deleted_person_leaves_every_group(scim, catalogue, created, make_group):
    bob = scim.post("Users", entra_user("bob@acme.example")).json()
    sales = make_group("Sales", [created["id"], bob["id"]])
    emea = make_group("EMEA", [created["id"]])

    assert scim.delete(f"Users/{created['id']}").status_code == 204

    assert _memberships(created["id"]) == set()
    assert [m["value"] for m in scim.get(f"Groups/{sales['id']}").json()["members"]] == [bob["id"]]
    assert scim.get(f"Groups/{emea['id']}").json().get("members", []) == []
