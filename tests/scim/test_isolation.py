"""Tenant isolation: another company's people never show, and their ids are a 404."""

from __future__ import annotations

import pytest

from tests.scim.conftest import ENTERPRISE, db_state

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_another_companys_id_is_404_for_every_verb(scim, other_admin, method):
    body = None
    if method == "PUT":
        body = {"userName": "stolen@acme.example"}
    elif method == "PATCH":
        body = {"Operations": [{"op": "replace", "path": "title", "value": "pwned"}]}
    before = db_state()

    response = scim.request(method, f"Users/{other_admin.pk}", body)

    assert response.status_code == 404
    assert response.json()["status"] == "404"
    assert db_state() == before


@pytest.mark.parametrize(
    "query",
    [
        None,
        'userName eq "olga@globex.example"',
        'userName co "example"',
        "userName pr",
        'id eq "{other}"',
        'externalId pr or not (userName eq "x")',
        'name.givenName eq "Olga"',
    ],
)
def test_lists_and_filters_never_show_another_companys_people(scim, other_admin, acme_admin, query):
    params = {"filter": query.replace("{other}", str(other_admin.pk))} if query else {}

    response = scim.client.get("/scim/v2/Users", params, HTTP_AUTHORIZATION=f"Bearer {scim.token}")

    assert response.status_code == 200
    ids = {r["id"] for r in response.json()["Resources"]}
    assert str(other_admin.pk) not in ids
    assert ids <= {str(acme_admin.pk)}
    assert response.json()["totalResults"] == len(ids)


def test_the_other_company_sees_only_its_own(other_scim, other_admin, acme_admin):
    body = other_scim.get("Users").json()

    assert [r["id"] for r in body["Resources"]] == [str(other_admin.pk)]


@pytest.mark.parametrize("reference", ["{id}", "olga@globex.example"], ids=["by-id", "by-username-of-another-company"])
def test_another_companys_person_is_never_a_manager(scim, created, other_admin, reference):
    value = reference.replace("{id}", str(other_admin.pk))
    before = db_state()

    response = scim.patch(f"Users/{created['id']}", [{"op": "add", "path": f"{ENTERPRISE}:manager", "value": value}])

    if reference == "{id}":
        assert response.status_code == 400
        assert response.json()["scimType"] == "invalidValue"
        assert db_state() == before
    else:
        # Another company's userName matches nobody here: it stays a pending reference
        # of this company and never resolves to Globex's person.
        assert response.status_code == 200
        assert response.json()[ENTERPRISE]["manager"] == {"value": "olga@globex.example"}
        from travelportal.companies.models import User

        assert User.objects.get(pk=created["id"]).manager is None


def test_a_user_name_taken_in_another_company_is_a_conflict(scim, other_admin, catalogue):
    # userName is how people sign in, so it is unique across the platform.
    before = db_state()

    response = scim.post("Users", {"userName": "OLGA@globex.example"})

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
    assert db_state() == before


def test_the_same_external_id_may_exist_in_two_companies(scim, other_scim, catalogue):
    first = scim.post("Users", {"userName": "a@acme.example", "externalId": "E1"})
    second = other_scim.post("Users", {"userName": "a@globex.example", "externalId": "E1"})

    assert (first.status_code, second.status_code) == (201, 201)


def test_a_search_never_shows_another_companys_people(scim, other_admin, acme_admin):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName pr"}

    response = scim.post("Users/.search", body)

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["Resources"]] == [str(acme_admin.pk)]
    assert response.json()["totalResults"] == 1


def test_a_pending_manager_never_resolves_to_another_companys_new_person(scim, other_scim, catalogue):
    from travelportal.companies.models import User

    waiting = scim.post("Users", {"userName": "w@acme.example", ENTERPRISE: {"manager": "BOSS-1"}}).json()

    # Globex provisions someone whose externalId is the same: not Acme's person's manager.
    assert other_scim.post("Users", {"userName": "boss@globex.example", "externalId": "BOSS-1"}).status_code == 201

    person = User.objects.get(pk=waiting["id"])
    assert (person.manager_id, person.pending_manager_ref) == (None, "BOSS-1")
    assert scim.get(f"Users/{waiting['id']}").json()[ENTERPRISE]["manager"] == {"value": "BOSS-1"}
