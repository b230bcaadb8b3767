"""Whatever the body or query, the answer is a SCIM success or a 4xx SCIM error with
nothing written: never a 500 caused by input (values type-checked against the
attribute map; paging of any size clamped; what PostgreSQL can't store refused)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scim.conftest import CORE, ENTERPRISE, TRAVELPERK, db_state, entra_user
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db

SURROGATE = b'"\\ud800"'


def _error(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    if scim_type:
        assert body["scimType"] == scim_type, body
    return body


@pytest.mark.parametrize(
    "raw",
    [
        b'{"userName": ' + SURROGATE + b"}",
        b'{"userName": "a@acme.example", "title": ' + SURROGATE + b"}",
        b'{"userName": "a@acme.example", ' + SURROGATE + b': "x"}',
        b'{"userName": "a@acme.example", "emails": [{"value": "x\\udfff"}]}',
    ],
    ids=["username", "title", "key", "nested"],
)
def test_a_lone_surrogate_is_refused_with_nothing_written(scim, catalogue, raw):
    before = db_state()

    body = _error(scim.post("Users", raw=raw), 400, "invalidValue")

    assert "surrogate" in body["detail"]
    assert db_state() == before


def test_a_lone_surrogate_in_a_patch_changes_nothing(scim, created):
    before = db_state()
    raw = json.dumps({"schemas": [CORE], "Operations": [{"op": "replace", "path": "title", "value": "X"}]})
    raw = raw.replace('"X"', '"\\ud83d"').encode()

    _error(scim.patch(f"Users/{created['id']}", raw=raw), 400, "invalidValue")

    assert db_state() == before


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"phoneNumbers": "+44 20 7946 0000"}, "phoneNumbers"),
        ({"phoneNumbers": {"type": "work", "value": "+44 1"}}, "phoneNumbers"),
        ({"emails": {"type": "work", "value": "x@acme.example"}}, "emails"),
        ({ENTERPRISE: {"manager": [{"value": "a"}, {"value": "b"}]}}, "manager"),
        ({"schemas": CORE}, "schemas"),
        ({"schemas": [CORE, 7]}, "schemas"),
        ({"active": "maybe"}, "active"),
        ({"title": ["CFO"]}, "title"),
        ({"name": {"givenName": 5}}, "name.givenName"),
        ({TRAVELPERK: {"invoiceProfiles": {"value": "Acme Ltd"}}}, "invoiceProfiles"),
        ({TRAVELPERK: {"emergencyContact": {"phone": True}}}, "emergencyContact.phone"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_value_of_the_wrong_type_is_refused_naming_the_attribute(scim, catalogue, body, named):
    before = db_state()

    detail = _error(scim.post("Users", {"userName": "x@acme.example", **body}), 400, "invalidValue")["detail"]

    assert named in detail
    assert db_state() == before
    assert not User.objects.filter(username="x@acme.example").exists()


def test_a_patch_with_a_value_of_the_wrong_type_changes_nothing(scim, created):
    before = db_state()

    response = scim.patch(
        f"Users/{created['id']}",
        [
            {"op": "replace", "path": "title", "value": "Changed"},
            {"op": "add", "path": "phoneNumbers", "value": {"type": "work", "value": "+1"}},
        ],
    )

    assert "phoneNumbers" in _error(response, 400, "invalidValue")["detail"]
    assert db_state() == before
    assert User.objects.get(pk=created["id"]).title == "Engineer"


@pytest.mark.parametrize(
    ("path", "value"),
    [("emails", [None]), ("phoneNumbers", [None, "x"]), ("emails", [1, {"value": "b@acme.example"}])],
    ids=["list-of-null", "null-and-string", "number-and-object"],
)
def test_adding_elements_that_are_no_objects_to_a_persons_list_is_no_server_error(scim, created, path, value):
    # Found by the PATCH property test below: an add merged into a person's existing
    # emails read every element as an object and answered 500. A list of nulls is null
    # (RFC 7644 §3.5.2: equivalent to unassigned), which clears, as a null value does.
    response = scim.patch(f"Users/{created['id']}", [{"op": "add", "path": path, "value": value}])

    assert response.status_code in (200, 400), response.content
    assert response["Content-Type"] == "application/scim+json"
    if response.status_code == 400:
        assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


@pytest.mark.parametrize(
    ("query", "start", "per_page"),
    [
        ("startIndex=99999999999999999999", 2**31 - 1, 0),
        ("startIndex=99999999999999999999&count=99999999999999999999", 2**31 - 1, 0),
        ("count=99999999999999999999", 1, 1),
        ("startIndex=-99999999999999999999&count=-1", 1, 0),
        ("startIndex=0", 1, 1),
    ],
)
def test_paging_of_any_size_is_clamped(scim, created, query, start, per_page):
    response = scim.get(f"Users?{query}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["startIndex"], body["itemsPerPage"], body["totalResults"]) == (start, per_page, 1)


def test_paging_that_is_no_number_is_invalid_value(scim, created):
    _error(scim.get("Users?startIndex=1e3"), 400, "invalidValue")


def test_a_search_request_with_huge_paging_is_clamped(scim, created):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "startIndex": 10**30,
        "count": 10**30,
    }

    response = scim.post("Users/.search", body)

    assert response.status_code == 200, response.content
    assert response.json()["Resources"] == []


# --- Anything at all ---------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
ATTRIBUTE_NAMES = st.sampled_from(
    [
        "userName",
        "active",
        "name",
        "emails",
        "phoneNumbers",
        "title",
        "externalId",
        "schemas",
        f"{ENTERPRISE}:manager",
        ENTERPRISE,
        TRAVELPERK,
        f"{TRAVELPERK}:invoiceProfiles",
        "name.givenName",
        'emails[type eq "work"].value',
        "members",
    ]
)
BODIES = st.dictionaries(ATTRIBUTE_NAMES | st.text(max_size=12), JSON, max_size=6)
OPERATIONS = st.lists(
    st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "replace", "remove", "Add", "bogus"])},
        optional={"path": ATTRIBUTE_NAMES | st.text(max_size=12), "value": JSON},
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_any_post_body_is_answered_without_a_server_error(scim, catalogue, body):
    before = db_state()

    response = scim.post("Users", {"userName": "fuzz@acme.example", **body})

    assert response.status_code < 500, response.content
    assert response["Content-Type"] == "application/scim+json"
    if response.status_code >= 400:
        assert db_state() == before
    else:
        User.objects.filter(username__iexact=response.json()["userName"]).delete()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_any_patch_is_answered_without_a_server_error(scim, catalogue, operations):
    user = User.objects.filter(username="target@acme.example").first()
    if user is None:
        user = User.objects.get(pk=scim.post("Users", entra_user("target@acme.example")).json()["id"])
    before = db_state()

    response = scim.patch(f"Users/{user.pk}", operations)

    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert db_state() == before
