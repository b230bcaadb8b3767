"""Groups found by member (RFC 7644 §3.4.2.2; Microsoft's "support querying groups by ID
and by member"): ``members eq "U"`` and ``members.value eq "U"``, alone or with ``id``
or ``displayName``, scoped to the token's company."""

from __future__ import annotations

import uuid

import pytest

from tests.scim.conftest import CORE_GROUP, group_state

pytestmark = pytest.mark.django_db

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def sales(make_group, acme_admin, traveller) -> dict:
    return make_group("Sales", [acme_admin.pk, traveller.pk], externalId="s-1")


@pytest.fixture
def finance(make_group, acme_admin) -> dict:
    return make_group("Finance", [acme_admin.pk])


@pytest.fixture
def empty(make_group) -> dict:
    return make_group("Empty")


@pytest.fixture
def globex_group(other_scim, other_admin) -> dict:
    response = other_scim.post(
        "Groups", {"schemas": [CORE_GROUP], "displayName": "Sales", "members": [{"value": str(other_admin.pk)}]}
    )
    assert response.status_code == 201, response.content
    return response.json()


def _find(scim, expression: str, **params) -> dict:
    response = scim.client.get(
        "/scim/v2/Groups", {"filter": expression, **params}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _ids(doc: dict) -> list[str]:
    return [r["id"] for r in doc["Resources"]]


@pytest.mark.parametrize(
    "path",
    ["members", "members.value", "MEMBERS.Value", f"{CORE_GROUP}:members", f"{CORE_GROUP}:members.value"],
)
def test_it_lists_every_group_the_user_is_a_member_of(scim, sales, finance, empty, acme_admin, traveller, path):
    doc = _find(scim, f'{path} eq "{acme_admin.pk}"')

    assert (doc["schemas"], doc["totalResults"], doc["startIndex"], doc["itemsPerPage"]) == ([LIST_RESPONSE], 2, 1, 2)
    assert sorted(_ids(doc)) == sorted([sales["id"], finance["id"]])
    by_id = {r["id"]: r for r in doc["Resources"]}
    # The whole group, every member in it, not only the one the filter named.
    assert sorted(m["value"] for m in by_id[sales["id"]]["members"]) == sorted([str(acme_admin.pk), str(traveller.pk)])
    assert by_id[sales["id"]]["displayName"] == "Sales" and by_id[sales["id"]]["externalId"] == "s-1"
    assert _ids(_find(scim, f'{path} eq "{traveller.pk}"')) == [sales["id"]]


def test_it_compares_the_id_in_any_case(scim, sales, traveller):
    assert _ids(_find(scim, f'members eq "{str(traveller.pk).upper()}"')) == [sales["id"]]


def test_it_confirms_a_membership_with_the_id_and_the_member_as_entra_asks(scim, sales, finance, traveller):
    found = _find(scim, f'id eq "{sales["id"]}" and members eq "{traveller.pk}"', attributes="id")
    not_found = _find(scim, f'id eq "{finance["id"]}" and members eq "{traveller.pk}"', attributes="id")

    assert found == {
        "schemas": [LIST_RESPONSE],
        "totalResults": 1,
        "startIndex": 1,
        "itemsPerPage": 1,
        "Resources": [{"schemas": [CORE_GROUP], "id": sales["id"]}],
    }
    assert not_found == {
        "schemas": [LIST_RESPONSE],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


def test_it_finds_by_display_name_and_member_without_the_members(scim, sales, finance, acme_admin, traveller):
    doc = _find(scim, f'displayName eq "SALES" and members eq "{acme_admin.pk}"', excludedAttributes="members")

    assert doc["totalResults"] == 1
    assert doc["Resources"][0]["id"] == sales["id"] and "members" not in doc["Resources"][0]
    assert _find(scim, f'displayName eq "Finance" and members eq "{traveller.pk}"')["totalResults"] == 0


def test_it_answers_no_group_once_the_member_is_removed(scim, sales, traveller):
    assert _find(scim, f'members eq "{traveller.pk}"')["totalResults"] == 1
    response = scim.patch(f"Groups/{sales['id']}", [{"op": "remove", "path": f'members[value eq "{traveller.pk}"]'}])
    assert response.status_code == 204, response.content

    doc = _find(scim, f'id eq "{sales["id"]}" and members eq "{traveller.pk}"')

    assert (doc["totalResults"], doc["Resources"]) == (0, [])


@pytest.mark.parametrize("kind", ["another company", "unknown", "malformed", "empty", "deleted"])
def test_it_answers_an_empty_list_for_an_id_that_is_no_member_of_the_company(
    scim, sales, globex_group, other_admin, acme_admin, kind
):
    deleted = scim.post("Users", {"userName": "gone@acme.example"}).json()["id"]
    added = scim.patch(f"Groups/{sales['id']}", [{"op": "add", "path": "members", "value": [{"value": deleted}]}])
    assert added.status_code == 204, added.content
    assert scim.delete(f"Users/{deleted}").status_code == 204
    value = {
        "another company": str(other_admin.pk),
        "unknown": str(uuid.uuid4()),
        "malformed": "not-a-uuid",
        "empty": "",
        "deleted": deleted,
    }[kind]
    before = group_state()

    for expression in (f'members eq "{value}"', f'id eq "{sales["id"]}" and members.value eq "{value}"'):
        doc = _find(scim, expression, attributes="id")
        assert (doc["totalResults"], doc["itemsPerPage"], doc["Resources"]) == (0, 0, []), expression
    assert group_state() == before


def test_another_companys_member_filter_finds_only_its_own_group(scim, other_scim, sales, globex_group, other_admin):
    theirs = other_scim.client.get(
        "/scim/v2/Groups", {"filter": f'members eq "{other_admin.pk}"'}, HTTP_AUTHORIZATION=f"Bearer {other_scim.token}"
    ).json()

    assert _ids(theirs) == [globex_group["id"]]
    assert _find(scim, f'members eq "{other_admin.pk}" or displayName eq "nothing"')["totalResults"] == 0


def test_it_combines_member_comparisons_each_on_its_own_membership(scim, sales, finance, empty, acme_admin, traveller):
    both = _find(scim, f'members eq "{acme_admin.pk}" and members eq "{traveller.pk}"')
    either = _find(scim, f'members eq "{acme_admin.pk}" or members eq "{traveller.pk}"')
    not_traveller = _find(scim, f'not (members eq "{traveller.pk}")')

    assert (_ids(both), both["totalResults"]) == ([sales["id"]], 1)
    # Sales has both people and is still listed once.
    assert (sorted(_ids(either)), either["totalResults"]) == (sorted([sales["id"], finance["id"]]), 2)
    assert sorted(_ids(not_traveller)) == sorted([finance["id"], empty["id"]])


def test_members_present_lists_the_groups_that_have_any(scim, sales, finance, empty, globex_group):
    doc = _find(scim, "members pr", excludedAttributes="members")

    assert (sorted(_ids(doc)), doc["totalResults"]) == (sorted([sales["id"], finance["id"]]), 2)


def test_it_pages_and_counts_the_groups_of_a_member(scim, make_group, acme_admin):
    groups = [make_group(f"Group {n}", [acme_admin.pk]) for n in range(3)]
    make_group("Without")

    first = _find(scim, f'members eq "{acme_admin.pk}"', count=2)
    second = _find(scim, f'members eq "{acme_admin.pk}"', count=2, startIndex=3)

    assert (first["totalResults"], first["itemsPerPage"], second["totalResults"], second["itemsPerPage"]) == (
        3,
        2,
        3,
        1,
    )
    assert _ids(first) + _ids(second) == [g["id"] for g in groups]


def test_a_search_by_post_finds_by_member_too(scim, sales, finance, traveller):
    response = scim.post(
        "Groups/.search",
        {"schemas": [SEARCH], "filter": f'members.value eq "{traveller.pk}"', "attributes": ["displayName"]},
    )

    assert response.status_code == 200, response.content
    assert response.json()["Resources"] == [{"schemas": [CORE_GROUP], "id": sales["id"], "displayName": "Sales"}]


@pytest.mark.parametrize(
    ("expression", "detail"),
    [
        ('members ne "{id}"', "members can't be compared with ne; it supports eq, pr."),
        ('members co "{id}"', "members can't be compared with co; it supports eq, pr."),
        ('members.value sw "{id}"', "members.value can't be compared with sw; it supports eq, pr."),
        ('members.display eq "Ann"', "Filtering on 'members.display' is not supported."),
        ('members.type eq "User"', "Filtering on 'members.type' is not supported."),
        ('members[value eq "{id}"]', 'A value filter on members is not supported; compare members eq "<user id>".'),
        ("members eq", "The filter could not be parsed"),
    ],
)
def test_it_refuses_other_member_comparisons_with_invalid_filter(scim, sales, acme_admin, expression, detail):
    response = scim.client.get(
        "/scim/v2/Groups",
        {"filter": expression.replace("{id}", str(acme_admin.pk))},
        HTTP_AUTHORIZATION=f"Bearer {scim.token}",
    )

    assert response.status_code == 400, response.content
    assert response.json()["scimType"] == "invalidFilter"
    assert response.json()["detail"].startswith(detail), response.json()["detail"]


def test_a_user_filter_on_members_is_still_an_invalid_filter(scim, acme_admin):
    response = scim.client.get(
        "/scim/v2/Users", {"filter": f'members eq "{acme_admin.pk}"'}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
    )

    assert response.status_code == 400, response.content
    assert response.json()["scimType"] == "invalidFilter"
    assert response.json()["detail"] == "Filtering on 'members' is not supported."
