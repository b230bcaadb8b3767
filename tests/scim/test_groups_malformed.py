"""Malformed group bodies: always a 400 SCIM error (RFC 7644 §3.12) with the scimType
that names what is wrong, never a 500, and nothing written."""

from __future__ import annotations

import pytest

from tests.scim.conftest import CORE_GROUP, PATCH_OP, group_state

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def _assert_refused(response, scim_type: str) -> dict:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    doc = response.json()
    assert doc["schemas"] == [ERROR] and doc["status"] == "400"
    assert doc.get("scimType") == scim_type, doc
    assert isinstance(doc.get("detail"), str) and doc["detail"].strip(), doc
    return doc


@pytest.fixture
def sales(make_group, acme_admin) -> dict:
    return make_group("Sales", [acme_admin.pk], externalId="s-1")


# A POST or PUT body -> the scimType of its refusal.
BAD_BODIES = {
    "members a string": ({"displayName": "X", "members": "everyone"}, "invalidValue"),
    "members an object without value": ({"displayName": "X", "members": {"display": "Ann"}}, "invalidValue"),
    "members a list of numbers": ({"displayName": "X", "members": [1, 2, 3]}, "invalidValue"),
    "members a list of lists": ({"displayName": "X", "members": [["a"]]}, "invalidValue"),
    "member value a number": ({"displayName": "X", "members": [{"value": 42}]}, "invalidValue"),
    "member value empty": ({"displayName": "X", "members": [{"value": ""}]}, "invalidValue"),
    "member value null": ({"displayName": "X", "members": [{"value": None}]}, "invalidValue"),
    "members true": ({"displayName": "X", "members": True}, "invalidValue"),
    "displayName a number": ({"displayName": 7}, "invalidValue"),
    "displayName a list": ({"displayName": ["Sales"]}, "invalidValue"),
    "displayName an object": ({"displayName": {"value": "Sales"}}, "invalidValue"),
    "displayName empty": ({"displayName": ""}, "invalidValue"),
    "displayName blank": ({"displayName": "   "}, "invalidValue"),
    "displayName null": ({"displayName": None}, "invalidValue"),
    "displayName missing": ({"externalId": "x"}, "invalidValue"),
    "displayName too long": ({"displayName": "x" * 300}, "invalidValue"),
    "externalId a number": ({"displayName": "X", "externalId": 5}, "invalidValue"),
    "externalId too long": ({"displayName": "X", "externalId": "e" * 300}, "invalidValue"),
    "NUL in displayName": ({"displayName": "Sa\x00les"}, "invalidValue"),
    "NUL in a member": ({"displayName": "X", "members": [{"value": "a\x00b"}]}, "invalidValue"),
    "NUL in a key": ({"displayName": "X", "\x00": 1}, "invalidValue"),
    "schemas a string": ({"schemas": CORE_GROUP, "displayName": "X"}, "invalidValue"),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_a_malformed_post_is_400_and_creates_nothing(scim, sales, case):
    payload, scim_type = BAD_BODIES[case]
    before = group_state()

    _assert_refused(scim.post("Groups", {"schemas": [CORE_GROUP], **payload}), scim_type)

    assert group_state() == before


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_a_malformed_put_is_400_and_changes_nothing(scim, sales, case):
    payload, scim_type = BAD_BODIES[case]
    before = group_state()

    _assert_refused(scim.put(f"Groups/{sales['id']}", {"schemas": [CORE_GROUP], **payload}), scim_type)

    assert group_state() == before


@pytest.mark.parametrize(
    ("raw", "scim_type"),
    [
        (b"{not json", "invalidSyntax"),
        (b"[]", "invalidSyntax"),
        (b'"a string"', "invalidSyntax"),
        (b"\xff\xfe", "invalidSyntax"),
        (b'{"displayName": NaN}', "invalidSyntax"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_invalid_syntax(scim, sales, raw, scim_type):
    before = group_state()

    _assert_refused(scim.request("POST", "Groups", raw=raw), scim_type)
    _assert_refused(scim.request("PUT", f"Groups/{sales['id']}", raw=raw), scim_type)
    _assert_refused(scim.request("PATCH", f"Groups/{sales['id']}", raw=raw), scim_type)

    assert group_state() == before


def _op(**fields) -> list[dict]:
    return [fields]


# A PATCH body -> the scimType of its refusal.
BAD_PATCHES = {
    "no Operations": ({"schemas": [PATCH_OP]}, "invalidSyntax"),
    "empty Operations": ({"schemas": [PATCH_OP], "Operations": []}, "invalidSyntax"),
    "Operations an object": ({"schemas": [PATCH_OP], "Operations": {"op": "add"}}, "invalidSyntax"),
    "an operation a string": ({"schemas": [PATCH_OP], "Operations": ["add"]}, "invalidSyntax"),
    "unknown op": ({"Operations": _op(op="merge", path="members", value=[])}, "invalidSyntax"),
    "op missing": ({"Operations": _op(path="displayName", value="X")}, "invalidSyntax"),
    "op a number": ({"Operations": _op(op=1, path="displayName", value="X")}, "invalidSyntax"),
    "add without value": ({"Operations": _op(op="add", path="members")}, "invalidSyntax"),
    "path a number": ({"Operations": _op(op="replace", path=5, value="X")}, "invalidPath"),
    "unknown path": ({"Operations": _op(op="replace", path="description", value="X")}, "invalidPath"),
    "unknown sub-path": ({"Operations": _op(op="replace", path="members.nickname", value="X")}, "invalidPath"),
    "unknown path in a value": ({"Operations": _op(op="replace", value={"colour": "red"})}, "invalidPath"),
    "broken filter": ({"Operations": _op(op="remove", path='members[value eq "x"')}, "invalidPath"),
    "add to a value filter": ({"Operations": _op(op="add", path='members[value eq "x"]', value="y")}, "invalidPath"),
    "remove without a path": ({"Operations": _op(op="remove")}, "noTarget"),
    "path-less value not an object": ({"Operations": _op(op="replace", value="Sales")}, "invalidValue"),
    "members a string": ({"Operations": _op(op="add", path="members", value="everyone")}, "invalidValue"),
    "members an object without value": ({"Operations": _op(op="add", path="members", value={"x": 1})}, "invalidValue"),
    "members a list of numbers": ({"Operations": _op(op="add", path="members", value=[1, 2])}, "invalidValue"),
    "replace members with numbers": ({"Operations": _op(op="replace", path="members", value=[3])}, "invalidValue"),
    "remove members listed as numbers": ({"Operations": _op(op="remove", path="members", value=[4])}, "invalidValue"),
    "displayName a number": ({"Operations": _op(op="replace", path="displayName", value=7)}, "invalidValue"),
    "displayName a list": ({"Operations": _op(op="replace", path="displayName", value=["X"])}, "invalidValue"),
    # "" or null in a replace clears (what Entra means by it): a required attribute can't be.
    "displayName empty": ({"Operations": _op(op="replace", path="displayName", value="")}, "mutability"),
    "displayName null": ({"Operations": _op(op="replace", path="displayName", value=None)}, "mutability"),
    "displayName blank": ({"Operations": _op(op="replace", path="displayName", value="  ")}, "invalidValue"),
    "displayName removed": ({"Operations": _op(op="remove", path="displayName")}, "mutability"),
    "displayName a number, path-less": ({"Operations": _op(op="replace", value={"displayName": 7})}, "invalidValue"),
    "externalId a number": ({"Operations": _op(op="replace", path="externalId", value=7)}, "invalidValue"),
    "id replaced": ({"Operations": _op(op="replace", path="id", value="x")}, "mutability"),
    "NUL in a path": ({"Operations": _op(op="replace", path="display\x00Name", value="X")}, "invalidValue"),
    "NUL in a member": ({"Operations": _op(op="add", path="members", value=[{"value": "\x00"}])}, "invalidValue"),
    "NUL in a filter": ({"Operations": _op(op="remove", path='members[value eq "\x00"]')}, "invalidValue"),
}


@pytest.mark.parametrize("case", list(BAD_PATCHES))
def test_a_malformed_patch_is_400_and_changes_nothing(scim, sales, case):
    payload, scim_type = BAD_PATCHES[case]
    before = group_state()

    _assert_refused(scim.patch(f"Groups/{sales['id']}", body=payload), scim_type)

    assert group_state() == before


@pytest.mark.parametrize("case", list(BAD_PATCHES))
def test_a_malformed_operation_after_a_good_one_changes_nothing(scim, sales, traveller, case):
    payload, scim_type = BAD_PATCHES[case]
    operations = payload.get("Operations")
    if not isinstance(operations, list) or not operations:
        pytest.skip("no operation to put after a good one")
    good = [
        {"op": "replace", "path": "displayName", "value": "Renamed"},
        {"op": "add", "path": "members", "value": [{"value": str(traveller.pk)}]},
    ]
    before = group_state()

    _assert_refused(scim.patch(f"Groups/{sales['id']}", [*good, *operations]), scim_type)

    assert group_state() == before


@pytest.mark.parametrize(
    "expression",
    [
        'displayName eq "a\x00b"',
        "displayName eq",
        'displayName zz "x"',
        # members.value eq "x" is a member query now (test_groups_member_filter); what
        # a member can't be filtered on still is refused.
        'members.display eq "x"',
        'members ne "x"',
        'description eq "x"',
        'userName eq "x"',
        '(displayName eq "x"',
    ],
)
def test_a_bad_filter_is_400_invalid_filter(scim, sales, expression):
    response = scim.client.get("/scim/v2/Groups", {"filter": expression}, HTTP_AUTHORIZATION=f"Bearer {scim.token}")

    _assert_refused(response, "invalidFilter")


@pytest.mark.parametrize("params", [{"startIndex": "x"}, {"count": "many"}])
def test_bad_paging_is_400(scim, sales, params):
    response = scim.client.get("/scim/v2/Groups", params, HTTP_AUTHORIZATION=f"Bearer {scim.token}")

    _assert_refused(response, "invalidValue")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "Groups/{id}"), ("PUT", "Groups"), ("PATCH", "Groups"), ("DELETE", "Groups"), ("GET", "Groups/.search")],
)
def test_a_wrong_method_is_405_with_a_scim_body(scim, sales, method, path):
    before = group_state()
    payload = None if method == "GET" else {"displayName": "X"}

    response = scim.request(method, path.replace("{id}", sales["id"]), payload)

    assert response.status_code == 405, response.content
    assert response.json()["schemas"] == [ERROR] and response.json()["status"] == "405"
    assert response.has_header("Allow")
    assert group_state() == before
