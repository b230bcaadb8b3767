"""``attributes`` and ``excludedAttributes`` of groups (RFC 7644 §3.4.2.5), with names
short or fully qualified by the core Group URN (§3.10), on get, list and search; and
URN-qualified PATCH paths."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.scim.conftest import CORE_GROUP

pytestmark = pytest.mark.django_db

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def sales(make_group, acme_admin, traveller) -> dict:
    return make_group("Sales", [acme_admin.pk, traveller.pk], externalId="s-1")


def _get(scim, path: str, **params):
    with CaptureQueriesContext(connection) as queries:
        response = scim.client.get(f"/scim/v2/{path}", params, HTTP_AUTHORIZATION=f"Bearer {scim.token}")
    assert response.status_code == 200, response.content
    return response.json(), [q["sql"] for q in queries.captured_queries]


def _loads_members(sql: list[str]) -> bool:
    return any("companies_groupmembership" in s for s in sql)


@pytest.mark.parametrize(
    "name", ["displayName", "DISPLAYNAME", f"{CORE_GROUP}:displayName", f"{CORE_GROUP.upper()}:displayName"]
)
def test_attributes_keeps_only_what_is_asked_and_loads_no_member(scim, sales, name):
    doc, sql = _get(scim, f"Groups/{sales['id']}", attributes=name)

    assert doc == {"schemas": [CORE_GROUP], "id": sales["id"], "displayName": "Sales"}
    assert not _loads_members(sql), "\n".join(sql)


@pytest.mark.parametrize("name", ["members", f"{CORE_GROUP}:members", "members.value", f"{CORE_GROUP}:members.value"])
def test_attributes_members_returns_the_members(scim, sales, acme_admin, traveller, name):
    doc, _ = _get(scim, f"Groups/{sales['id']}", attributes=name)

    assert set(doc) == {"schemas", "id", "members"}
    assert sorted(m["value"] for m in doc["members"]) == sorted([str(acme_admin.pk), str(traveller.pk)])
    if name.endswith(".value"):
        assert all(set(m) == {"value"} for m in doc["members"])


@pytest.mark.parametrize("name", ["members", "Members", f"{CORE_GROUP}:members"])
def test_excluded_members_in_any_spelling_loads_no_member(scim, sales, name):
    doc, sql = _get(scim, f"Groups/{sales['id']}", excludedAttributes=name)
    listed, list_sql = _get(scim, "Groups", excludedAttributes=name)

    assert "members" not in doc and doc["displayName"] == "Sales" and doc["externalId"] == "s-1"
    assert [r["id"] for r in listed["Resources"]] == [sales["id"]]
    assert "members" not in listed["Resources"][0]
    assert not _loads_members(sql + list_sql), "\n".join(sql + list_sql)


def test_excluding_external_id_keeps_the_rest(scim, sales):
    doc, _ = _get(scim, f"Groups/{sales['id']}", excludedAttributes=f"{CORE_GROUP}:externalId")

    assert "externalId" not in doc
    assert doc["displayName"] == "Sales" and len(doc["members"]) == 2 and "meta" in doc


def test_a_search_with_excluded_members_loads_no_member(scim, sales):
    with CaptureQueriesContext(connection) as queries:
        response = scim.post(
            "Groups/.search",
            {"schemas": [SEARCH], "filter": 'displayName eq "sales"', "excludedAttributes": [f"{CORE_GROUP}:members"]},
        )

    assert response.status_code == 200, response.content
    [resource] = response.json()["Resources"]
    assert resource["id"] == sales["id"] and "members" not in resource
    sql = [q["sql"] for q in queries.captured_queries]
    assert not _loads_members(sql), "\n".join(sql)


def test_a_search_with_attributes_keeps_only_those(scim, sales):
    response = scim.post("Groups/.search", {"schemas": [SEARCH], "attributes": [f"{CORE_GROUP}:displayName"]})

    assert response.json()["Resources"] == [{"schemas": [CORE_GROUP], "id": sales["id"], "displayName": "Sales"}]


def test_a_urn_qualified_value_filter_path_removes_that_member(scim, sales, acme_admin, traveller):
    from travelportal.companies.models import GroupMembership

    response = scim.patch(
        f"Groups/{sales['id']}", [{"op": "remove", "path": f'{CORE_GROUP}:members[value eq "{acme_admin.pk}"]'}]
    )

    assert response.status_code == 204, response.content
    assert list(GroupMembership.objects.filter(group_id=sales["id"]).values_list("user_id", flat=True)) == [
        traveller.pk
    ]


def test_urn_qualified_paths_rename_and_add(scim, make_group, acme_admin):
    group = make_group("Ops")

    response = scim.patch(
        f"Groups/{group['id']}",
        [
            {"op": "replace", "path": f"{CORE_GROUP}:displayName", "value": "Operations"},
            {"op": "add", "path": f"{CORE_GROUP}:members", "value": [{"value": str(acme_admin.pk)}]},
            {"op": "replace", "value": {f"{CORE_GROUP}:externalId": "ops-1"}},
        ],
    )

    assert response.status_code == 204, response.content
    doc = scim.get(f"Groups/{group['id']}").json()
    assert (doc["displayName"], doc["externalId"], [m["value"] for m in doc["members"]]) == (
        "Operations",
        "ops-1",
        [str(acme_admin.pk)],
    )


def test_a_put_reads_the_members_once(scim, sales, acme_admin):
    with CaptureQueriesContext(connection) as queries:
        response = scim.put(
            f"Groups/{sales['id']}",
            {"schemas": [CORE_GROUP], "displayName": "Sales", "members": [{"value": str(acme_admin.pk)}]},
        )

    assert response.status_code == 200, response.content
    assert [m["value"] for m in response.json()["members"]] == [str(acme_admin.pk)]
    # The replace reads the current memberships once, the answer its members once.
    member_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "companies_groupmembership"' in q["sql"]
    ]
    assert len(member_reads) == 2, "\n".join(member_reads)


def test_a_sub_attribute_of_a_multi_valued_attribute_of_a_person_is_projected_too(scim, created):
    doc, _ = _get(scim, f"Users/{created['id']}", attributes="emails.value")

    assert doc["emails"] == [{"value": created["emails"][0]["value"]}]


@pytest.mark.parametrize(
    ("name", "expression"),
    [
        ('Team "A"', 'displayName eq "team \\"a\\""'),
        ("R\\D", 'displayName eq "R\\\\D"'),
        ("Ventes été", 'displayName eq "Ventes \\u00e9t\\u00e9"'),
        ("Sales (EMEA)", 'displayName eq "Sales (EMEA)"'),
        ("A and B or C", 'displayName eq "A and B or C"'),
    ],
)
def test_a_display_name_with_quotes_or_escapes_is_found(scim, make_group, name, expression):
    group = make_group(name)
    make_group("Other")

    doc, _ = _get(scim, "Groups", filter=expression, excludedAttributes="members")

    assert [r["id"] for r in doc["Resources"]] == [group["id"]]
    assert doc["Resources"][0]["displayName"] == name


@pytest.mark.parametrize("expression", ['displayName eq "\\u0000"', 'displayName eq "\\ud800"', 'displayName eq "a\\"'])
def test_a_filter_value_no_database_can_compare_is_invalid_filter(scim, make_group, expression):
    make_group("Sales")

    response = scim.client.get("/scim/v2/Groups", {"filter": expression}, HTTP_AUTHORIZATION=f"Bearer {scim.token}")

    assert response.status_code == 400, response.content
    assert response.json()["scimType"] == "invalidFilter"


def test_a_backslash_before_a_letter_is_taken_as_written(scim, catalogue):
    from tests.scim.conftest import entra_user

    person = scim.post("Users", entra_user("ann@acme.example", externalId="ACME\\ann")).json()

    doc, _ = _get(scim, "Users", filter='externalId eq "ACME\\ann"')

    assert [r["id"] for r in doc["Resources"]] == [person["id"]]
