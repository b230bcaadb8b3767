"""Filters beyond Entra's (RFC 7644 §3.4.2.2), paging, and attribute projection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.scim.conftest import ENTERPRISE, TRAVELPERK
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(scim, catalogue):
    """Three provisioned people, created in this order."""
    bodies = [
        {
            "userName": "ann@acme.example",
            "externalId": "E-ANN",
            "title": "Engineer",
            "name": {"givenName": "Ann", "familyName": "Smith"},
            "emails": [{"type": "work", "value": "ann@acme.example"}],
            ENTERPRISE: {"costCenter": "Engineering"},
        },
        {
            "userName": "bob@acme.example",
            "externalId": "E-BOB",
            "title": "Sales lead",
            "active": False,
            "name": {"givenName": "Bob", "familyName": "Jones"},
            ENTERPRISE: {"costCenter": "Sales"},
        },
        {"userName": "cy@acme.example", "name": {"givenName": "Cy"}, TRAVELPERK: {"travelPolicy": "Standard"}},
    ]
    return [scim.post("Users", b).json() for b in bodies]


def _names(scim, query, **params) -> list[str]:
    if query is not None:
        params["filter"] = query
    response = scim.client.get("/scim/v2/Users", params, HTTP_AUTHORIZATION=f"Bearer {scim.token}")
    assert response.status_code == 200, response.content
    return [r["userName"] for r in response.json()["Resources"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('userName eq "ANN@acme.example"', ["ann@acme.example"]),
        ('userName ne "ann@acme.example"', ["bob@acme.example", "cy@acme.example"]),
        ('userName co "O"', ["bob@acme.example"]),
        ('userName sw "c"', ["cy@acme.example"]),
        ('userName ew "Example"', ["ann@acme.example", "bob@acme.example", "cy@acme.example"]),
        ("externalId pr", ["ann@acme.example", "bob@acme.example"]),
        ('externalId eq "e-bob"', ["bob@acme.example"]),
        ('userName gt "b"', ["bob@acme.example", "cy@acme.example"]),
        ('userName le "bob@acme.example"', ["ann@acme.example", "bob@acme.example"]),
        ("active eq false", ["bob@acme.example"]),
        ('title co "sales" and active eq false', ["bob@acme.example"]),
        ('name.givenName eq "ann" or name.familyName eq "jones"', ["ann@acme.example", "bob@acme.example"]),
        ('not (userName eq "ann@acme.example") and externalId pr', ["bob@acme.example"]),
        ('emails.value eq "ann@acme.example"', ["ann@acme.example"]),
        ('emails[type eq "work"]', ["ann@acme.example"]),
        ('emails[type eq "work" and value co "ann"]', ["ann@acme.example"]),
        (f'{ENTERPRISE}:costCenter eq "sales"', ["bob@acme.example"]),
        ('costCenter sw "Eng"', ["ann@acme.example"]),
        ("costCenter pr", ["ann@acme.example", "bob@acme.example"]),
        (f'{TRAVELPERK}:travelPolicy eq "Standard"', ["cy@acme.example"]),
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "cy@acme.example"', ["cy@acme.example"]),
    ],
)
def test_operators_and_logic(scim, people, query, expected):
    assert _names(scim, query) == expected


def test_id_filters_and_ids_that_are_not_uuids(scim, people):
    assert _names(scim, f'id eq "{people[1]["id"]}"') == ["bob@acme.example"]
    assert _names(scim, 'id eq "not-a-uuid"') == []


def test_meta_last_modified_finds_what_changed_since(scim, people):
    User.objects.filter(pk=people[0]["id"]).update(updated_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")

    assert _names(scim, f'meta.lastModified gt "{since}"') == ["bob@acme.example", "cy@acme.example"]
    assert _names(scim, f'meta.lastModified lt "{since}"') == ["ann@acme.example"]
    assert _names(scim, f'meta.created ge "{since}"') == [p["userName"] for p in people]


def test_paging_is_stable_and_capped(scim, people, settings):
    settings.SCIM_MAX_PAGE_SIZE = 2
    scim_get = scim.client.get

    first = scim_get("/scim/v2/Users", {"count": 2}, HTTP_AUTHORIZATION=f"Bearer {scim.token}").json()
    second = scim_get("/scim/v2/Users", {"startIndex": 3, "count": 2}, HTTP_AUTHORIZATION=f"Bearer {scim.token}").json()
    capped = scim_get("/scim/v2/Users", {"count": 1000}, HTTP_AUTHORIZATION=f"Bearer {scim.token}").json()
    none = scim_get("/scim/v2/Users", {"count": 0}, HTTP_AUTHORIZATION=f"Bearer {scim.token}").json()

    assert [r["userName"] for r in first["Resources"]] == ["ann@acme.example", "bob@acme.example"]
    assert (first["totalResults"], first["startIndex"], first["itemsPerPage"]) == (3, 1, 2)
    assert [r["userName"] for r in second["Resources"]] == ["cy@acme.example"]
    assert second["startIndex"] == 3
    assert capped["itemsPerPage"] == 2
    assert (none["totalResults"], none["itemsPerPage"], none["Resources"]) == (3, 0, [])


def test_bad_paging_values_are_400(scim, people):
    response = scim.client.get("/scim/v2/Users", {"count": "many"}, HTTP_AUTHORIZATION=f"Bearer {scim.token}")

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_attributes_and_excluded_attributes_are_honoured(scim, people):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {scim.token}"}
    only = scim.client.get("/scim/v2/Users", {"attributes": "userName,name.givenName"}, **auth).json()
    without = scim.client.get(
        f"/scim/v2/Users/{people[0]['id']}", {"excludedAttributes": f"emails,name.familyName,{ENTERPRISE}"}, **auth
    ).json()
    extension = scim.client.get("/scim/v2/Users", {"attributes": f"{ENTERPRISE}:costCenter"}, **auth).json()

    assert only["Resources"][0] == {
        "schemas": only["Resources"][0]["schemas"],
        "id": people[0]["id"],
        "userName": "ann@acme.example",
        "name": {"givenName": "Ann"},
    }
    assert "emails" not in without and ENTERPRISE not in without
    assert without["name"] == {"givenName": "Ann"}
    assert without["userName"] == "ann@acme.example"
    assert extension["Resources"][0][ENTERPRISE] == {"costCenter": "Engineering"}
    assert "userName" not in extension["Resources"][0]


def test_search_by_post(scim, people):
    response = scim.post(
        "Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName sw "b"',
            "attributes": ["userName"],
            "count": 5,
        },
    )

    assert response.status_code == 200
    assert [r["userName"] for r in response.json()["Resources"]] == ["bob@acme.example"]
    assert User.objects.count() == 3  # a search writes nothing
