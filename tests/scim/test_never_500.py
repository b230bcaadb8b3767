"""Client input never causes a 500: arbitrary JSON in POST, PUT and PATCH bodies and in
filters gets a 2xx or a 4xx SCIM error."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scim.conftest import ENTERPRISE, TRAVELPERK

pytestmark = pytest.mark.django_db

KEYS = st.sampled_from(
    [
        "userName",
        "active",
        "name",
        "givenName",
        "name.familyName",
        "emails",
        "phoneNumbers",
        "value",
        "type",
        "primary",
        "manager",
        "op",
        "path",
        "Operations",
        "title",
        ENTERPRISE,
        TRAVELPERK,
        f"{ENTERPRISE}:manager",
        f"{TRAVELPERK}:emergencyContact.name",
        "invoiceProfiles",
        "travelPolicy",
        "dateOfBirth",
        "gender",
        "x",
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)
PATHS = st.sampled_from(
    [
        "title",
        "active",
        "name.givenName",
        'emails[type eq "work"].value',
        "emails[",
        'manager[value eq "x"]',
        f"{ENTERPRISE}:manager",
        f"{TRAVELPERK}:invoiceProfiles",
        f"{TRAVELPERK}",
        "urn:x:y",
        "",
        "id",
    ]
)
OPERATION = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "Replace", "remove", "copy", 3]), "path": PATHS | JSON, "value": JSON}
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(body=JSON)
def test_any_post_body(scim, catalogue, body):
    # json.dumps writes NaN and Infinity, which are not JSON: those bodies are 400.
    response = scim.post("Users", raw=json.dumps(body).encode())

    assert response.status_code in (201, 400, 409), response.content


@FAST
@given(operations=st.lists(OPERATION, max_size=3) | JSON)
def test_any_patch(scim, created, operations):
    response = scim.patch(f"Users/{created['id']}", body={"Operations": operations})

    assert response.status_code in (200, 400, 409), response.content


@FAST
@given(body=JSON)
def test_any_put_body(scim, created, body):
    response = scim.put(f"Users/{created['id']}", raw=json.dumps(body).encode())

    assert response.status_code in (200, 400, 409), response.content


@FAST
@given(query=st.text(max_size=40) | st.sampled_from(['userName eq "a" and (', "emails[type eq", "not", "a pr or"]))
def test_any_filter(scim, created, query):
    response = scim.client.get("/scim/v2/Users", {"filter": query}, HTTP_AUTHORIZATION=f"Bearer {scim.token}")

    assert response.status_code in (200, 400), response.content
