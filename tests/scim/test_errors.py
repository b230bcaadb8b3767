"""Every SCIM error: RFC 7644 §3.12 body, status, scimType, and nothing written."""

from __future__ import annotations

import pytest

from tests.scim.conftest import ENTERPRISE, TRAVELPERK, db_state, entra_user
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
UNKNOWN_ID = "5f0c7d53-9a4e-4d8e-8d59-0a4c1e2f3b4a"


def assert_error(response, status: int, scim_type: str | None = None, detail: str = "") -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert detail in body["detail"]
    return body


def test_invalid_json_is_invalid_syntax(scim, catalogue):
    before = db_state()

    assert_error(scim.post("Users", raw=b'{"userName": '), 400, "invalidSyntax", "not valid JSON")
    assert_error(scim.post("Users", raw=b'["a list"]'), 400, "invalidSyntax", "JSON object")
    assert db_state() == before


@pytest.mark.parametrize(
    "query",
    ['userName eq "x', 'userName xx "x"', 'nickName eq "x"', 'active eq "maybe"', 'meta.lastModified gt "soon"'],
)
def test_a_bad_filter_is_invalid_filter(scim, query):
    response = scim.client.get("/scim/v2/Users", {"filter": query}, HTTP_AUTHORIZATION=f"Bearer {scim.token}")

    assert_error(response, 400, "invalidFilter")


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ('userName xx "x"', "unexpected 'xx' at character 10"),
        ('userName eq "x" and', "ends before the expression is complete"),
        ("userName eq", "ends before the expression is complete"),
    ],
)
def test_a_filter_syntax_error_says_where_without_parser_internals(scim, query, detail):
    response = scim.client.get("/scim/v2/Users", {"filter": query}, HTTP_AUTHORIZATION=f"Bearer {scim.token}")

    body = assert_error(response, 400, "invalidFilter", detail)
    assert "Token(" not in body["detail"]


@pytest.mark.parametrize(
    ("operation", "scim_type", "detail"),
    [
        ({"op": "replace", "path": "nickName", "value": "x"}, "invalidPath", "nickName"),
        ({"op": "replace", "path": "name.nick", "value": "x"}, "invalidPath", "nick"),
        ({"op": "replace", "path": "emails[type gt 1].value", "value": "x"}, "invalidPath", "filter"),
        ({"op": "replace", "path": "a b", "value": "x"}, "invalidPath", ""),
        ({"op": "remove"}, "noTarget", "path"),
        ({"op": "remove", "path": 'emails[type eq "home"]'}, "noTarget", "home"),
        ({"op": "replace", "path": "active", "value": "maybe"}, "invalidValue", "active"),
        ({"op": "replace", "path": "title", "value": ["a"]}, "invalidValue", "title"),
        ({"op": "replace", "value": "not an object"}, "invalidValue", "object"),
        ({"op": "move", "path": "title", "value": "x"}, "invalidSyntax", "move"),
        ({"op": "replace", "path": "id", "value": "x"}, "mutability", "id"),
        ({"op": "replace", "path": "meta", "value": {}}, "mutability", "meta"),
        ({"op": "add", "path": "groups", "value": []}, "mutability", "groups"),
        ({"op": "replace", "path": "title"}, "invalidSyntax", "needs a value"),
    ],
)
def test_bad_patch_operations_are_refused_and_write_nothing(scim, created, operation, scim_type, detail):
    before = db_state()

    response = scim.patch(f"Users/{created['id']}", [{"op": "replace", "path": "title", "value": "Y"}, operation])

    assert_error(response, 400, scim_type, detail)
    assert db_state() == before


@pytest.mark.parametrize("body", [{}, {"Operations": []}, {"Operations": "x"}, {"Operations": ["x"]}])
def test_a_patch_without_usable_operations_is_invalid_syntax(scim, created, body):
    assert_error(scim.patch(f"Users/{created['id']}", body=body), 400, "invalidSyntax")


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({TRAVELPERK: {"travelPolicy": "Platinum"}}, "travelPolicy 'Platinum'"),
        ({TRAVELPERK: {"invoiceProfiles": [{"value": "Acme Ltd"}, {"value": "Ghost Corp"}]}}, "invoiceProfiles 'Ghost"),
        ({TRAVELPERK: {"gender": "X"}}, "gender"),
        ({TRAVELPERK: {"dateOfBirth": "1985-02-30"}}, "dateOfBirth"),
        ({TRAVELPERK: {"dateOfBirth": "12/04/1985"}}, "dateOfBirth"),
        ({ENTERPRISE: {"manager": UNKNOWN_ID}}, "not a user of this company"),
        ({"active": "yes"}, "active"),
        ({"userName": ""}, "userName"),
        ({"userName": ["x"]}, "userName"),
        ({"name": "Ann Smith"}, "name"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_invalid_values_are_refused_and_write_nothing(scim, catalogue, change, detail):
    body = entra_user()
    for key, value in change.items():
        body[key] = {**body[key], **value} if isinstance(value, dict) and isinstance(body.get(key), dict) else value
    before = db_state()

    assert_error(scim.post("Users", body), 400, "invalidValue", detail)
    assert db_state() == before


def test_an_unknown_travel_policy_in_a_patch_names_attribute_and_value(scim, created):
    before = db_state()

    response = scim.patch(
        f"Users/{created['id']}", [{"op": "replace", "path": f"{TRAVELPERK}:travelPolicy", "value": "Gold"}]
    )

    assert_error(response, 400, "invalidValue", "travelPolicy 'Gold' does not exist")
    assert db_state() == before


def test_a_person_cannot_be_their_own_manager(scim, created):
    before = db_state()

    for value in (created["id"], created["userName"], created["externalId"]):
        response = scim.patch(
            f"Users/{created['id']}", [{"op": "add", "path": f"{ENTERPRISE}:manager", "value": value}]
        )
        assert_error(response, 400, "invalidValue", "own manager")
    assert db_state() == before


def test_duplicate_user_name_in_any_case_is_a_uniqueness_conflict(scim, created):
    before = db_state()

    response = scim.post("Users", entra_user(created["userName"].upper(), externalId="other"))

    assert_error(response, 409, "uniqueness", "userName")
    assert db_state() == before


def test_duplicate_external_id_in_the_company_is_a_uniqueness_conflict(scim, created):
    before = db_state()

    assert_error(scim.post("Users", entra_user("b@acme.example", externalId=created["externalId"])), 409, "uniqueness")
    assert db_state() == before


def test_renaming_onto_a_taken_user_name_is_a_conflict(scim, created, traveller):
    before = db_state()

    response = scim.patch(
        f"Users/{created['id']}", [{"op": "replace", "path": "userName", "value": "TOM@acme.example"}]
    )

    assert_error(response, 409, "uniqueness")
    assert db_state() == before


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize("user_id", [UNKNOWN_ID, "not-a-uuid", "1"])
def test_unknown_ids_are_404(scim, created, method, user_id):
    before = db_state()
    call = getattr(scim, method)
    args = [f"Users/{user_id}"]
    if method == "put":
        args.append({"userName": "x@acme.example"})
    elif method == "patch":
        args.append([{"op": "replace", "path": "title", "value": "x"}])

    assert_error(call(*args), 404, None, "not found")
    assert db_state() == before


def test_a_body_over_the_limit_is_413(scim, settings, catalogue):
    settings.SCIM_MAX_BODY_BYTES = 2000
    body = entra_user(title="x" * 3000)
    before = db_state()

    assert_error(scim.post("Users", body), 413)
    assert db_state() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "Users"),
        ("put", "Users"),
        ("patch", "Users"),
        ("post", "Users/{id}"),
        ("put", "ServiceProviderConfig"),
        ("post", "Schemas"),
        ("delete", "ResourceTypes"),
        ("get", "Users/.search"),
    ],
)
def test_a_method_not_allowed_is_405_with_a_scim_body(scim, created, method, path):
    before = db_state()

    response = scim.request(method.upper(), path.replace("{id}", created["id"]), {} if method != "get" else None)

    assert_error(response, 405, None, "not allowed")
    assert response["Allow"]
    assert db_state() == before


@pytest.mark.parametrize(
    "body",
    [
        {"userName": "x@acme.example", "name": ["x"]},
        {"userName": "x@acme.example", "emails": [1, 2]},
        {"userName": "x@acme.example", ENTERPRISE: "x"},
        {"userName": "x@acme.example", TRAVELPERK: {"emergencyContact": "x"}},
        {"userName": "x@acme.example", TRAVELPERK: {"invoiceProfiles": "x"}},
        {"userName": "x@acme.example", ENTERPRISE: {"manager": 5}},
        {"userName": {"a": 1}},
    ],
)
def test_malformed_values_are_400_never_500(scim, catalogue, body):
    before = db_state()

    response = scim.post("Users", body)

    assert response.status_code == 400, response.content
    assert response.json()["scimType"] == "invalidValue"
    assert db_state() == before
    assert not User.objects.filter(username="x@acme.example").exists()


@pytest.mark.parametrize(
    ("raw", "scim_type"),
    [
        (b'{"userName": "a@acme.example", "title": NaN}', "invalidSyntax"),
        (b'{"userName": "a@acme.example", "title": Infinity}', "invalidSyntax"),
        (b'{"userName": "a\\u0000@acme.example"}', "invalidValue"),
        (b"\xff\xfe", "invalidSyntax"),
    ],
)
def test_what_json_or_postgresql_cannot_hold_is_400(scim, catalogue, raw, scim_type):
    before = db_state()

    assert_error(scim.post("Users", raw=raw), 400, scim_type)
    assert db_state() == before


def test_a_nul_in_a_filter_is_invalid_filter(scim):
    response = scim.client.get(
        "/scim/v2/Users", {"filter": 'userName eq "a\x00"'}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
    )

    assert_error(response, 400, "invalidFilter")
