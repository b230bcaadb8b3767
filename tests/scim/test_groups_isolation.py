"""Tenant isolation of /Groups: another company's group is a 404 on every verb, never
listed or found by a filter, and another company's people are never members."""

from __future__ import annotations

import pytest

from tests.scim.conftest import CORE_GROUP, PATCH_OP, group_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex_group(other_scim, other_admin):
    response = other_scim.post(
        "Groups",
        {
            "schemas": [CORE_GROUP],
            "displayName": "Globex Sales",
            "externalId": "gx-1",
            "members": [{"value": str(other_admin.pk)}],
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


BODIES = {
    "GET": None,
    "PUT": {"schemas": [CORE_GROUP], "displayName": "Stolen", "members": []},
    "PATCH": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": "Stolen"}]},
    "DELETE": None,
}


@pytest.mark.parametrize("method", list(BODIES))
def test_another_companys_group_is_404_for_every_verb(scim, globex_group, method):
    before = group_state()

    response = scim.request(method, f"Groups/{globex_group['id']}", BODIES[method])

    assert response.status_code == 404, response.content
    assert response.json()["status"] == "404"
    assert globex_group["id"] in response.json()["detail"]
    assert group_state() == before


@pytest.mark.parametrize("method", list(BODIES))
def test_a_404_for_another_companys_group_looks_like_one_for_no_group(scim, globex_group, method):
    import uuid

    theirs = scim.request(method, f"Groups/{globex_group['id']}", BODIES[method])
    nobodys = scim.request(method, f"Groups/{uuid.uuid4()}", BODIES[method])

    assert theirs.status_code == nobodys.status_code == 404
    assert theirs.json().keys() == nobodys.json().keys()


def test_a_patch_adding_acme_people_to_another_companys_group_is_404(scim, globex_group, acme_admin):
    before = group_state()

    response = scim.patch(
        f"Groups/{globex_group['id']}", [{"op": "add", "path": "members", "value": [{"value": str(acme_admin.pk)}]}]
    )

    assert response.status_code == 404
    assert group_state() == before


@pytest.mark.parametrize(
    "query",
    [
        None,
        'displayName eq "Globex Sales"',
        'displayName co "Sales"',
        'externalId eq "gx-1"',
        "displayName pr",
        'id eq "{other}"',
        'not (displayName eq "x")',
    ],
)
def test_lists_and_filters_never_show_another_companys_groups(scim, make_group, globex_group, query):
    mine = make_group("Acme Sales")
    params = {"filter": query.replace("{other}", globex_group["id"])} if query else {}

    response = scim.client.get("/scim/v2/Groups", params, HTTP_AUTHORIZATION=f"Bearer {scim.token}")

    assert response.status_code == 200, response.content
    ids = {r["id"] for r in response.json()["Resources"]}
    assert globex_group["id"] not in ids
    assert ids <= {mine["id"]}
    assert response.json()["totalResults"] == len(ids)


def test_a_search_never_shows_another_companys_groups(scim, globex_group):
    response = scim.post(
        "Groups/.search",
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'displayName eq "Globex Sales"'},
    )

    assert response.status_code == 200, response.content
    assert response.json()["totalResults"] == 0


def test_the_other_company_sees_only_its_own(other_scim, make_group, globex_group):
    make_group("Acme Sales")

    assert [r["id"] for r in other_scim.get("Groups").json()["Resources"]] == [globex_group["id"]]


@pytest.mark.parametrize("where", ["post", "put", "patch-add", "patch-replace"])
def test_another_companys_people_cannot_be_added(scim, make_group, acme_admin, other_admin, where):
    group = make_group("Acme Sales", [acme_admin.pk])
    before = group_state()
    members = [{"value": str(acme_admin.pk)}, {"value": str(other_admin.pk)}]

    if where == "post":
        response = scim.post("Groups", {"schemas": [CORE_GROUP], "displayName": "Mixed", "members": members})
    elif where == "put":
        response = scim.put(
            f"Groups/{group['id']}", {"schemas": [CORE_GROUP], "displayName": "Mixed", "members": members}
        )
    else:
        op = "add" if where == "patch-add" else "replace"
        response = scim.patch(f"Groups/{group['id']}", [{"op": op, "path": "members", "value": members}])

    assert response.status_code == 400, response.content
    assert response.json()["scimType"] == "invalidValue"
    assert str(other_admin.pk) in response.json()["detail"]
    assert group_state() == before


def test_another_companys_person_is_never_listed_as_a_member(scim, make_group, acme_admin, globex_group):
    group = make_group("Acme Sales", [acme_admin.pk])

    members = scim.get(f"Groups/{group['id']}").json()["members"]

    assert [m["value"] for m in members] == [str(acme_admin.pk)]


def test_the_database_refuses_a_membership_across_companies(company, other_admin):
    from django.db import IntegrityError, transaction

    from travelportal.companies.models import Group, GroupMembership

    group = Group.objects.create(company=company, display_name="Acme Sales")

    with pytest.raises(IntegrityError), transaction.atomic():
        GroupMembership.objects.create(group=group, user=other_admin)
