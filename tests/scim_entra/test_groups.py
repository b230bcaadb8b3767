"""Groups, in every form Entra's provisioning engine sends them (the Groups section of
/work/shared/docs/entra-scim.md): find by displayName, externalId or id, create empty,
members added and removed in batches, renamed, replaced and deleted."""

from __future__ import annotations

import uuid
from urllib.parse import quote_plus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import LIST_RESPONSE, assert_scim_error, body

CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
MICROSOFT_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
EMPTY = {"schemas": [LIST_RESPONSE], "totalResults": 0, "Resources": [], "startIndex": 1, "itemsPerPage": 0}
MEMBERSHIP_TABLE = "companies_groupmembership"


def find_groups(entra, filter_expr: str, *, excluded: str = "members"):
    """A filtered GET as Entra sends it: URL-encoded with + for spaces, members excluded."""
    query = f"filter={quote_plus(filter_expr)}"
    if excluded:
        query = f"excludedAttributes={excluded}&{query}"
    return entra.get(f"Groups?{query}")


def new_group(entra, display_name: str = "Sales", external_id: str | None = None) -> dict:
    """POST /Groups exactly as Entra creates a group: empty, with its Microsoft schema."""
    payload = {
        "schemas": [CORE_GROUP, MICROSOFT_GROUP],
        "externalId": external_id or str(uuid.uuid4()),
        "displayName": display_name,
        "members": [],
    }
    response = entra.post("Groups", payload)
    assert response.status_code == 201, response.content
    return body(response)


def members_of(group_id) -> set[str]:
    from travelportal.companies.models import GroupMembership

    return {str(i) for i in GroupMembership.objects.filter(group_id=group_id).values_list("user_id", flat=True)}


def stored_group(group_id) -> tuple:
    from travelportal.companies.models import Group

    return Group.objects.filter(pk=group_id).values_list("display_name", "external_id", "updated_at").get()


def put(entra, path: str, payload: dict):
    return entra._call("put", path, payload)


@pytest.fixture
def people(make_user) -> list[dict]:
    return [make_user(f"member{n}@contoso.example", displayName=f"Member {n}") for n in range(4)]


@pytest.fixture
def sales(entra) -> dict:
    return new_group(entra, "Sales", "6a0d2b1e-0000-4000-8000-000000000001")


# --- Find --------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Sales", "sales", "SALES", "sAlEs"])
def test_display_name_eq_compares_case_insensitively(entra, sales, spelling):
    new_group(entra, "Sales Europe")

    response = find_groups(entra, f'displayName eq "{spelling}"')

    assert response.status_code == 200
    doc = body(response)
    assert (doc["schemas"], doc["totalResults"], doc["startIndex"], doc["itemsPerPage"]) == ([LIST_RESPONSE], 1, 1, 1)
    assert [r["id"] for r in doc["Resources"]] == [sales["id"]]
    # The stored spelling is returned, and members are not.
    assert doc["Resources"][0]["displayName"] == "Sales"
    assert "members" not in doc["Resources"][0]


def test_an_unknown_display_name_is_the_exact_empty_list_never_a_404(entra, sales):
    response = find_groups(entra, 'displayName eq "Marketing"')

    assert response.status_code == 200
    assert body(response) == EMPTY


def test_an_unknown_display_name_on_a_company_without_groups_is_the_exact_empty_list(entra):
    response = find_groups(entra, f'displayName eq "{uuid.uuid4()}"')

    assert response.status_code == 200
    assert body(response) == EMPTY


def test_external_id_eq_finds_the_group(entra, sales):
    new_group(entra, "Marketing")

    doc = body(find_groups(entra, 'externalId eq "6a0d2b1e-0000-4000-8000-000000000001"'))

    assert [r["id"] for r in doc["Resources"]] == [sales["id"]]
    assert doc["Resources"][0]["externalId"] == "6a0d2b1e-0000-4000-8000-000000000001"


def test_id_eq_finds_the_group(entra, sales):
    new_group(entra, "Marketing")

    doc = body(find_groups(entra, f'id eq "{sales["id"]}"'))

    assert [r["id"] for r in doc["Resources"]] == [sales["id"]]


@pytest.mark.parametrize("value", ["not-a-uuid", "a7c3e9f1-4b2d-4e6a-8f0c-1d5b7e9a3c24"])
def test_id_eq_of_no_group_is_the_exact_empty_list(entra, sales, value):
    response = find_groups(entra, f'id eq "{value}"')

    assert response.status_code == 200
    assert body(response) == EMPTY


def test_display_name_and_external_id_together(entra, sales):
    doc = body(find_groups(entra, 'displayName eq "sales" and externalId eq "6a0d2b1e-0000-4000-8000-000000000001"'))
    assert [r["id"] for r in doc["Resources"]] == [sales["id"]]

    doc = body(find_groups(entra, 'displayName eq "sales" and externalId eq "something-else"'))
    assert doc == EMPTY


# --- Find by member ----------------------------------------------------------------


def confirm_member(entra, group_id: str, user_id: str):
    """The read Entra sends after adding a member, to confirm it is one."""
    expression = f'id eq "{group_id}" and members eq "{user_id}"'
    return entra.get(f"Groups?filter={quote_plus(expression)}&attributes=id")


def test_id_and_members_eq_confirms_a_member_just_added(entra, sales, people):
    new_group(entra, "Marketing")
    ops = [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": people[0]["id"]}]}]
    assert entra.patch(f"Groups/{sales['id']}", ops).status_code == 204

    response = confirm_member(entra, sales["id"], people[0]["id"])

    assert response.status_code == 200, response.content
    assert body(response) == {
        "schemas": [LIST_RESPONSE],
        "totalResults": 1,
        "Resources": [{"schemas": [CORE_GROUP], "id": sales["id"]}],
        "startIndex": 1,
        "itemsPerPage": 1,
    }


def test_id_and_members_eq_of_someone_never_added_is_the_exact_empty_list(entra, sales, people):
    _filled_sales(entra, sales, people[:2])

    response = confirm_member(entra, sales["id"], people[3]["id"])

    assert response.status_code == 200, response.content
    assert body(response) == EMPTY


def test_id_and_members_eq_of_a_removed_member_is_the_exact_empty_list(entra, sales, people):
    _filled_sales(entra, sales, people)
    assert body(confirm_member(entra, sales["id"], people[1]["id"]))["totalResults"] == 1
    ops = [{"op": "Remove", "path": "members", "value": [{"value": people[1]["id"]}]}]
    assert entra.patch(f"Groups/{sales['id']}", ops).status_code == 204

    assert body(confirm_member(entra, sales["id"], people[1]["id"])) == EMPTY
    assert body(confirm_member(entra, sales["id"], people[2]["id"]))["totalResults"] == 1


@pytest.mark.parametrize("kind", ["another company", "unknown", "malformed", "deleted"])
def test_id_and_members_eq_of_no_user_of_the_company_is_the_exact_empty_list(entra, sales, people, refused, kind):
    _filled_sales(entra, sales, people)

    response = confirm_member(entra, sales["id"], refused[kind])

    assert response.status_code == 200, response.content
    assert body(response) == EMPTY


def test_display_name_and_members_eq_with_members_excluded(entra, sales, people):
    _filled_sales(entra, sales, people[:2])
    new_group(entra, "Marketing")

    doc = body(find_groups(entra, f'displayName eq "sales" and members eq "{people[1]["id"]}"'))

    assert (doc["totalResults"], [r["id"] for r in doc["Resources"]]) == (1, [sales["id"]])
    assert doc["Resources"][0]["displayName"] == "Sales" and "members" not in doc["Resources"][0]
    assert body(find_groups(entra, f'displayName eq "Marketing" and members eq "{people[1]["id"]}"')) == EMPTY


def test_members_eq_lists_every_group_of_the_member(entra, sales, people):
    marketing = new_group(entra, "Marketing")
    new_group(entra, "Legal")
    _filled_sales(entra, sales, people[:2])
    ops = [{"op": "Add", "path": "members", "value": [{"value": people[0]["id"]}]}]
    assert entra.patch(f"Groups/{marketing['id']}", ops).status_code == 204

    doc = body(find_groups(entra, f'members eq "{people[0]["id"]}"'))

    assert doc["totalResults"] == 2
    assert sorted(r["id"] for r in doc["Resources"]) == sorted([sales["id"], marketing["id"]])
    assert all("members" not in r for r in doc["Resources"])


# --- excludedAttributes=members ----------------------------------------------------


def _filled_sales(entra, sales, people) -> dict:
    ops = [{"op": "Add", "path": "members", "value": [{"value": p["id"]} for p in people]}]
    assert entra.patch(f"Groups/{sales['id']}", ops).status_code == 204
    return sales


def test_excluded_members_on_a_list_loads_no_member(entra, sales, people):
    _filled_sales(entra, sales, people)

    with CaptureQueriesContext(connection) as queries:
        response = entra.get("Groups?excludedAttributes=members")

    assert response.status_code == 200
    [resource] = body(response)["Resources"]
    assert resource["id"] == sales["id"] and "members" not in resource
    touching = [q["sql"] for q in queries.captured_queries if MEMBERSHIP_TABLE in q["sql"]]
    assert not touching, "\n".join(touching)


def test_excluded_members_on_a_filter_loads_no_member(entra, sales, people):
    _filled_sales(entra, sales, people)

    with CaptureQueriesContext(connection) as queries:
        response = find_groups(entra, 'displayName eq "Sales"')

    assert [r["id"] for r in body(response)["Resources"]] == [sales["id"]]
    assert "members" not in body(response)["Resources"][0]
    touching = [q["sql"] for q in queries.captured_queries if MEMBERSHIP_TABLE in q["sql"]]
    assert not touching, "\n".join(touching)


def test_excluded_members_on_a_get_loads_no_member(entra, sales, people):
    _filled_sales(entra, sales, people)

    with CaptureQueriesContext(connection) as queries:
        response = entra.get(f"Groups/{sales['id']}?excludedAttributes=members")

    assert response.status_code == 200
    doc = body(response)
    assert doc["id"] == sales["id"] and doc["displayName"] == "Sales" and "members" not in doc
    touching = [q["sql"] for q in queries.captured_queries if MEMBERSHIP_TABLE in q["sql"]]
    assert not touching, "\n".join(touching)


def test_without_excluded_attributes_the_members_are_returned(entra, sales, people):
    _filled_sales(entra, sales, people)

    doc = body(entra.get(f"Groups/{sales['id']}"))

    assert sorted(m["value"] for m in doc["members"]) == sorted(p["id"] for p in people)
    member = next(m for m in doc["members"] if m["value"] == people[0]["id"])
    assert member["$ref"] == f"http://testserver/scim/v2/Users/{people[0]['id']}"
    assert member["display"] == "Member 0"


# --- Create ------------------------------------------------------------------------


def test_a_group_is_created_empty_with_the_microsoft_schema_urn(entra, company):
    from travelportal.companies.models import Group

    response = entra.post(
        "Groups",
        {
            "schemas": [CORE_GROUP, MICROSOFT_GROUP],
            "externalId": "8f2c3d4e-0000-4000-8000-0000000000aa",
            "displayName": "Finance",
            "members": [],
        },
    )

    assert response.status_code == 201, response.content
    doc = body(response)
    assert doc["schemas"] == [CORE_GROUP]
    assert doc["displayName"] == "Finance"
    assert doc["externalId"] == "8f2c3d4e-0000-4000-8000-0000000000aa"
    assert doc.get("members", []) == []
    assert doc["meta"]["resourceType"] == "Group"
    assert doc["meta"]["location"] == f"http://testserver/scim/v2/Groups/{doc['id']}"
    assert response["Location"] == doc["meta"]["location"]
    group = Group.objects.get(pk=doc["id"])
    assert (group.company, group.display_name, group.external_id, group.scim_managed) == (
        company,
        "Finance",
        "8f2c3d4e-0000-4000-8000-0000000000aa",
        True,
    )
    assert members_of(group.pk) == set()
    assert body(entra.get(f"Groups/{doc['id']}")) == doc


def test_a_group_is_created_without_members_or_external_id(entra):
    response = entra.post("Groups", {"schemas": [CORE_GROUP], "displayName": "Support"})

    assert response.status_code == 201, response.content
    doc = body(response)
    assert doc["displayName"] == "Support" and "externalId" not in doc


def test_the_body_may_carry_what_the_portal_ignores(entra):
    response = entra.post(
        "Groups",
        {
            "schemas": [CORE_GROUP, MICROSOFT_GROUP],
            "id": "client-chosen",
            "meta": {"resourceType": "Group"},
            "DisplayName": "Legal",
            "ExternalId": "legal-1",
            "description": "an attribute the portal does not know",
        },
    )

    assert response.status_code == 201, response.content
    doc = body(response)
    assert doc["id"] != "client-chosen"
    assert (doc["displayName"], doc["externalId"]) == ("Legal", "legal-1")


# --- Members -----------------------------------------------------------------------


def test_several_members_are_added_in_one_patch_with_ref_null(entra, sales, people):
    response = entra.patch(
        f"Groups/{sales['id']}",
        [
            {
                "op": "Add",
                "path": "members",
                "value": [{"$ref": None, "value": people[0]["id"]}, {"value": people[1]["id"]}],
            }
        ],
    )

    assert response.status_code == 204, response.content
    assert response.content == b""
    assert members_of(sales["id"]) == {people[0]["id"], people[1]["id"]}


def test_adding_a_member_twice_keeps_one_membership(entra, sales, people):
    op = {"op": "Add", "path": "members", "value": [{"value": people[0]["id"]}, {"value": people[0]["id"]}]}

    assert entra.patch(f"Groups/{sales['id']}", [op]).status_code == 204
    assert entra.patch(f"Groups/{sales['id']}", [op]).status_code == 204

    assert members_of(sales["id"]) == {people[0]["id"]}


def test_remove_with_a_value_list_removes_only_those_members(entra, sales, people):
    _filled_sales(entra, sales, people)

    response = entra.patch(
        f"Groups/{sales['id']}",
        [{"op": "Remove", "path": "members", "value": [{"value": people[0]["id"]}, {"value": people[2]["id"]}]}],
    )

    assert response.status_code == 204, response.content
    assert members_of(sales["id"]) == {people[1]["id"], people[3]["id"]}


def test_remove_with_a_value_filter_removes_that_member(entra, sales, people):
    _filled_sales(entra, sales, people)

    response = entra.patch(
        f"Groups/{sales['id']}", [{"op": "remove", "path": f'members[value eq "{people[1]["id"]}"]'}]
    )

    assert response.status_code == 204, response.content
    assert members_of(sales["id"]) == {people[0]["id"], people[2]["id"], people[3]["id"]}


def test_a_bare_remove_of_members_removes_them_all(entra, sales, people):
    _filled_sales(entra, sales, people)

    response = entra.patch(f"Groups/{sales['id']}", [{"op": "remove", "path": "members"}])

    assert response.status_code == 204, response.content
    assert members_of(sales["id"]) == set()
    assert (
        "members" not in body(entra.get(f"Groups/{sales['id']}"))
        or not body(entra.get(f"Groups/{sales['id']}"))["members"]
    )


def test_removing_someone_who_is_not_a_member_is_a_success(entra, sales, people):
    _filled_sales(entra, sales, people[:2])

    response = entra.patch(
        f"Groups/{sales['id']}", [{"op": "Remove", "path": "members", "value": [{"value": people[3]["id"]}]}]
    )

    assert response.status_code == 204, response.content
    assert members_of(sales["id"]) == {people[0]["id"], people[1]["id"]}


def test_replace_of_members_with_a_list_sets_exactly_those(entra, sales, people):
    _filled_sales(entra, sales, people[:3])

    response = entra.patch(
        f"Groups/{sales['id']}",
        [{"op": "replace", "path": "members", "value": [{"value": people[2]["id"]}, {"value": people[3]["id"]}]}],
    )

    assert response.status_code == 204, response.content
    assert members_of(sales["id"]) == {people[2]["id"], people[3]["id"]}


def test_add_and_remove_in_one_request_apply_in_order(entra, sales, people):
    _filled_sales(entra, sales, people[:2])

    response = entra.patch(
        f"Groups/{sales['id']}",
        [
            {"op": "Add", "path": "members", "value": [{"value": people[2]["id"]}, {"value": people[3]["id"]}]},
            {"op": "Remove", "path": "members", "value": [{"value": people[0]["id"]}, {"value": people[3]["id"]}]},
        ],
    )

    assert response.status_code == 204, response.content
    assert members_of(sales["id"]) == {people[1]["id"], people[2]["id"]}


# --- Rename ------------------------------------------------------------------------


def test_rename_with_a_path(entra, sales):
    response = entra.patch(f"Groups/{sales['id']}", [{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}])

    assert response.status_code == 204, response.content
    assert stored_group(sales["id"])[0] == "Sales EMEA"
    assert body(entra.get(f"Groups/{sales['id']}"))["displayName"] == "Sales EMEA"


def test_rename_without_a_path_with_the_id_in_the_value(entra, sales):
    response = entra.patch(
        f"Groups/{sales['id']}", [{"op": "replace", "value": {"id": sales["id"], "displayName": "Sales EMEA"}}]
    )

    assert response.status_code == 204, response.content
    assert stored_group(sales["id"])[:2] == ("Sales EMEA", sales["externalId"])


def test_rename_to_another_spelling_of_its_own_name(entra, sales):
    response = entra.patch(f"Groups/{sales['id']}", [{"op": "Replace", "path": "displayName", "value": "SALES"}])

    assert response.status_code == 204, response.content
    assert stored_group(sales["id"])[0] == "SALES"


@pytest.mark.parametrize("op", ["add", "Add", "ADD", "aDd"])
def test_op_names_in_any_case_add_members(entra, sales, people, op):
    response = entra.patch(
        f"Groups/{sales['id']}", [{"op": op, "path": "members", "value": [{"value": people[0]["id"]}]}]
    )

    assert response.status_code == 204, response.content
    assert members_of(sales["id"]) == {people[0]["id"]}


@pytest.mark.parametrize("op", ["remove", "Remove", "REMOVE"])
def test_op_names_in_any_case_remove_members(entra, sales, people, op):
    _filled_sales(entra, sales, people[:2])

    response = entra.patch(
        f"Groups/{sales['id']}", [{"op": op, "path": "members", "value": [{"value": people[0]["id"]}]}]
    )

    assert response.status_code == 204, response.content
    assert members_of(sales["id"]) == {people[1]["id"]}


@pytest.mark.parametrize("op", ["replace", "Replace", "REPLACE"])
def test_op_names_in_any_case_rename(entra, sales, op):
    response = entra.patch(f"Groups/{sales['id']}", [{"op": op, "path": "displayName", "value": f"Sales {op}"}])

    assert response.status_code == 204, response.content
    assert stored_group(sales["id"])[0] == f"Sales {op}"


# --- What a PATCH answers ----------------------------------------------------------


def test_a_patch_answers_204_without_a_body(entra, sales, people):
    response = entra.patch(
        f"Groups/{sales['id']}", [{"op": "Add", "path": "members", "value": [{"value": people[0]["id"]}]}]
    )

    assert response.status_code == 204
    assert response.content == b""


def test_a_patch_asking_for_attributes_answers_200_with_the_group(entra, sales, people):
    response = entra.patch(
        f"Groups/{sales['id']}?attributes=displayName,members",
        [
            {"op": "Add", "path": "members", "value": [{"value": people[0]["id"]}]},
            {"op": "Replace", "path": "displayName", "value": "Sales EMEA"},
        ],
    )

    assert response.status_code == 200, response.content
    doc = body(response)
    assert doc["id"] == sales["id"]
    assert doc["displayName"] == "Sales EMEA"
    assert [m["value"] for m in doc["members"]] == [people[0]["id"]]
    assert "externalId" not in doc


# --- Uniqueness --------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Sales", "sales", "SALES"])
def test_a_duplicate_display_name_in_any_case_is_409_uniqueness(entra, sales, spelling):
    from travelportal.companies.models import Group

    response = entra.post("Groups", {"schemas": [CORE_GROUP], "displayName": spelling, "externalId": "other"})

    error = assert_scim_error(response, 409, "uniqueness")
    assert "displayName" in error["detail"]
    assert Group.objects.count() == 1


def test_a_duplicate_external_id_is_409_uniqueness(entra, sales):
    from travelportal.companies.models import Group

    response = entra.post(
        "Groups", {"schemas": [CORE_GROUP], "displayName": "Marketing", "externalId": sales["externalId"]}
    )

    error = assert_scim_error(response, 409, "uniqueness")
    assert "externalId" in error["detail"]
    assert Group.objects.count() == 1


def test_a_rename_to_the_name_of_another_group_is_409_and_changes_nothing(entra, sales):
    marketing = new_group(entra, "Marketing")
    before = stored_group(marketing["id"])

    response = entra.patch(f"Groups/{marketing['id']}", [{"op": "Replace", "path": "displayName", "value": "SALES"}])

    assert_scim_error(response, 409, "uniqueness")
    assert stored_group(marketing["id"]) == before


def test_an_external_id_taken_by_another_group_is_409_on_patch(entra, sales):
    marketing = new_group(entra, "Marketing")
    before = stored_group(marketing["id"])

    response = entra.patch(
        f"Groups/{marketing['id']}", [{"op": "Replace", "path": "externalId", "value": sales["externalId"]}]
    )

    assert_scim_error(response, 409, "uniqueness")
    assert stored_group(marketing["id"]) == before


def test_the_same_name_and_external_id_in_another_company_is_fine(entra, other_entra, sales):
    response = other_entra.post(
        "Groups", {"schemas": [CORE_GROUP], "displayName": "SALES", "externalId": sales["externalId"]}
    )

    assert response.status_code == 201, response.content
    assert body(response)["id"] != sales["id"]


# --- Members that are refused ------------------------------------------------------


@pytest.fixture
def refused(other_admin, make_user, entra):
    """A member id of each kind the portal refuses: another company's person, an
    unknown id, a malformed id and a deleted person."""
    gone = make_user("gone@contoso.example")
    assert entra.delete(f"Users/{gone['id']}").status_code == 204
    return {
        "another company": str(other_admin.pk),
        "unknown": str(uuid.uuid4()),
        "malformed": "not-a-uuid",
        "deleted": gone["id"],
    }


KINDS = ["another company", "unknown", "malformed", "deleted"]


@pytest.mark.parametrize("kind", KINDS)
def test_adding_a_refused_member_with_a_valid_one_adds_neither(entra, sales, people, refused, kind):
    before = stored_group(sales["id"])

    response = entra.patch(
        f"Groups/{sales['id']}",
        [{"op": "Add", "path": "members", "value": [{"value": people[0]["id"]}, {"value": refused[kind]}]}],
    )

    error = assert_scim_error(response, 400, "invalidValue")
    assert refused[kind] in error["detail"]
    assert members_of(sales["id"]) == set()
    assert stored_group(sales["id"]) == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_rename_in_the_same_request_as_a_refused_member_is_not_applied(entra, sales, people, refused, kind):
    before = stored_group(sales["id"])

    response = entra.patch(
        f"Groups/{sales['id']}",
        [
            {"op": "Replace", "path": "displayName", "value": "Renamed"},
            {"op": "Add", "path": "members", "value": [{"value": people[0]["id"]}]},
            {"op": "Add", "path": "members", "value": [{"value": refused[kind]}]},
        ],
    )

    error = assert_scim_error(response, 400, "invalidValue")
    assert refused[kind] in error["detail"]
    assert stored_group(sales["id"]) == before
    assert members_of(sales["id"]) == set()


@pytest.mark.parametrize("kind", KINDS)
def test_replacing_members_with_a_refused_one_changes_nothing(entra, sales, people, refused, kind):
    _filled_sales(entra, sales, people[:2])
    before = stored_group(sales["id"])

    response = entra.patch(
        f"Groups/{sales['id']}",
        [{"op": "replace", "path": "members", "value": [{"value": people[3]["id"]}, {"value": refused[kind]}]}],
    )

    assert refused[kind] in assert_scim_error(response, 400, "invalidValue")["detail"]
    assert members_of(sales["id"]) == {people[0]["id"], people[1]["id"]}
    assert stored_group(sales["id"]) == before


@pytest.mark.parametrize("kind", KINDS)
def test_creating_a_group_with_a_refused_member_creates_nothing(entra, people, refused, kind):
    from travelportal.companies.models import Group, GroupMembership

    response = entra.post(
        "Groups",
        {
            "schemas": [CORE_GROUP],
            "displayName": "Ops",
            "members": [{"value": people[0]["id"]}, {"value": refused[kind]}],
        },
    )

    assert refused[kind] in assert_scim_error(response, 400, "invalidValue")["detail"]
    assert not Group.objects.exists()
    assert not GroupMembership.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_put_with_a_refused_member_changes_nothing(entra, sales, people, refused, kind):
    _filled_sales(entra, sales, people[:1])
    before = stored_group(sales["id"])

    response = put(
        entra,
        f"Groups/{sales['id']}",
        {"schemas": [CORE_GROUP], "displayName": "Renamed", "members": [{"value": refused[kind]}]},
    )

    assert refused[kind] in assert_scim_error(response, 400, "invalidValue")["detail"]
    assert stored_group(sales["id"]) == before
    assert members_of(sales["id"]) == {people[0]["id"]}


# --- Delete and PUT ----------------------------------------------------------------


def test_delete_answers_204_then_the_group_is_a_404(entra, sales, people):
    from travelportal.companies.models import Group, GroupMembership

    _filled_sales(entra, sales, people)

    response = entra.delete(f"Groups/{sales['id']}")

    assert response.status_code == 204 and response.content == b""
    assert_scim_error(entra.get(f"Groups/{sales['id']}"), 404)
    assert_scim_error(entra.delete(f"Groups/{sales['id']}"), 404)
    assert_scim_error(
        entra.patch(f"Groups/{sales['id']}", [{"op": "Replace", "path": "displayName", "value": "x"}]), 404
    )
    assert body(find_groups(entra, 'displayName eq "Sales"')) == EMPTY
    assert not Group.objects.exists()
    assert not GroupMembership.objects.exists()


def test_a_deleted_groups_name_can_be_used_again(entra, sales):
    assert entra.delete(f"Groups/{sales['id']}").status_code == 204

    again = new_group(entra, "Sales", sales["externalId"])

    assert again["id"] != sales["id"]


def test_put_replaces_the_name_and_the_members(entra, sales, people):
    _filled_sales(entra, sales, people[:2])

    response = put(
        entra,
        f"Groups/{sales['id']}",
        {
            "schemas": [CORE_GROUP, MICROSOFT_GROUP],
            "id": sales["id"],
            "displayName": "Sales EMEA",
            "externalId": sales["externalId"],
            "members": [{"value": people[1]["id"]}, {"value": people[2]["id"]}],
        },
    )

    assert response.status_code == 200, response.content
    doc = body(response)
    assert doc["displayName"] == "Sales EMEA"
    assert sorted(m["value"] for m in doc["members"]) == sorted([people[1]["id"], people[2]["id"]])
    assert members_of(sales["id"]) == {people[1]["id"], people[2]["id"]}
    assert stored_group(sales["id"])[:2] == ("Sales EMEA", sales["externalId"])
    assert body(entra.get(f"Groups/{sales['id']}")) == doc
