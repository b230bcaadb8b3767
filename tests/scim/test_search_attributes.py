"""``attributes`` and ``excludedAttributes`` of ``POST /Users/.search`` and
``POST /Groups/.search`` (RFC 7644 §3.4.3): a list of names, or one comma-separated
string as the query parameter takes them; any other value is 400 ``invalidValue``, as
is a ``filter`` that is not a string."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.scim.conftest import CORE_GROUP, ENTERPRISE, db_state, group_state

pytestmark = pytest.mark.django_db

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
ANN = 'userName eq "ann.smith@acme.example"'


@pytest.fixture
def sales(make_group, acme_admin, traveller) -> dict:
    return make_group("Sales", [acme_admin.pk, traveller.pk], externalId="s-1")


def _search(scim, resource: str, **fields):
    return scim.post(f"{resource}/.search", {"schemas": [SEARCH], **fields})


@pytest.mark.parametrize(
    "names", ["userName,name.givenName", " userName , name.givenName ", ["userName", "name.givenName"]]
)
def test_it_returns_only_the_attributes_given_as_a_string_or_a_list(scim, created, names):
    response = _search(scim, "Users", filter=ANN, attributes=names)

    assert response.status_code == 200, response.content
    doc = response.json()
    assert doc["totalResults"] == 1
    assert doc["Resources"] == [
        {
            "schemas": doc["Resources"][0]["schemas"],
            "id": created["id"],
            "userName": created["userName"],
            "name": {"givenName": "Ann"},
        }
    ]


@pytest.mark.parametrize(
    "names", [f"emails,name.familyName,{ENTERPRISE}", ["emails", "name.familyName", ENTERPRISE]], ids=["string", "list"]
)
def test_it_leaves_out_the_excluded_attributes_given_as_a_string_or_a_list(scim, created, names):
    response = _search(scim, "Users", filter=ANN, excludedAttributes=names)

    assert response.status_code == 200, response.content
    [resource] = response.json()["Resources"]
    assert "emails" not in resource and ENTERPRISE not in resource
    assert resource["name"] == {k: v for k, v in created["name"].items() if k != "familyName"}
    assert (resource["id"], resource["userName"], resource["title"]) == (created["id"], created["userName"], "Engineer")


@pytest.mark.parametrize("names", ["members", f"{CORE_GROUP}:members", ["members"]], ids=["string", "urn", "list"])
def test_a_group_search_excluding_members_as_a_string_loads_no_member(scim, sales, names):
    with CaptureQueriesContext(connection) as queries:
        response = _search(scim, "Groups", filter='displayName eq "sales"', excludedAttributes=names)

    assert response.status_code == 200, response.content
    [resource] = response.json()["Resources"]
    assert (resource["id"], resource["displayName"], resource["externalId"]) == (sales["id"], "Sales", "s-1")
    assert "members" not in resource
    loads = [q["sql"] for q in queries.captured_queries if "companies_groupmembership" in q["sql"]]
    assert not loads, "\n".join(loads)


def test_a_group_search_with_attributes_as_a_string_keeps_only_those(scim, sales):
    response = _search(scim, "Groups", attributes="displayName")

    assert response.status_code == 200, response.content
    assert response.json()["Resources"] == [{"schemas": [CORE_GROUP], "id": sales["id"], "displayName": "Sales"}]


@pytest.mark.parametrize("resource", ["Users", "Groups"])
def test_null_or_empty_names_return_the_whole_resource(scim, created, sales, resource):
    query = ANN if resource == "Users" else 'displayName eq "sales"'
    for names in (None, "", []):
        response = _search(scim, resource, filter=query, attributes=names, excludedAttributes=names)

        assert response.status_code == 200, response.content
        first = response.json()["Resources"][0]
        assert "meta" in first and ("members" in first if resource == "Groups" else "emails" in first)


@pytest.mark.parametrize("key", ["attributes", "excludedAttributes"])
@pytest.mark.parametrize("resource", ["Users", "Groups"])
@pytest.mark.parametrize(
    "value",
    [5, 1.5, True, {"userName": True}, ["userName", 5], [["userName"]], [None], [{"value": "userName"}]],
    ids=[
        "number",
        "float",
        "boolean",
        "object",
        "list-with-number",
        "nested-list",
        "list-with-null",
        "list-with-object",
    ],
)
def test_it_refuses_names_of_another_type_with_invalid_value(scim, created, sales, resource, key, value):
    before = (db_state(), group_state())

    response = _search(scim, resource, **{key: value})

    assert response.status_code == 400, response.content
    assert response.json() == {
        "schemas": [ERROR],
        "status": "400",
        "scimType": "invalidValue",
        "detail": f"{key} must be a string of comma-separated attribute names or a list of them.",
    }
    assert (db_state(), group_state()) == before


@pytest.mark.parametrize("resource", ["Users", "Groups"])
@pytest.mark.parametrize("value", [5, ['userName eq "x"'], {"userName": "x"}, True], ids=str)
def test_it_refuses_a_filter_that_is_not_a_string_with_invalid_value(scim, created, sales, resource, value):
    before = (db_state(), group_state())

    response = _search(scim, resource, filter=value)

    assert response.status_code == 400, response.content
    assert response.json()["scimType"] == "invalidValue"
    assert response.json()["detail"] == "filter must be a string, a filter expression (RFC 7644 §3.4.2.2)."
    assert (db_state(), group_state()) == before
