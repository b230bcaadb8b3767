"""Test Connection and the "does this user exist?" queries Entra sends before creating."""

from __future__ import annotations

import uuid

import pytest

from .conftest import LIST_RESPONSE, assert_scim_error, body

EMPTY = {"schemas": [LIST_RESPONSE], "totalResults": 0, "Resources": [], "startIndex": 1, "itemsPerPage": 0}


def test_test_connection_with_a_random_guid_answers_the_exact_empty_list(entra, ann):
    response = entra.find(f'userName eq "{uuid.uuid4()}"')

    assert response.status_code == 200
    assert body(response) == EMPTY


def test_test_connection_on_an_empty_company_answers_the_exact_empty_list(entra):
    response = entra.find(f'userName eq "{uuid.uuid4()}"')

    assert response.status_code == 200
    assert body(response) == EMPTY


def test_test_connection_sent_with_percent20_spaces_also_works(entra):
    response = entra.get(f"Users?filter=userName%20eq%20%22{uuid.uuid4()}%22")

    assert response.status_code == 200
    assert body(response) == EMPTY


def test_username_eq_compares_case_insensitively(entra, ann):
    response = entra.find('userName eq "ann.lee@contoso.EXAMPLE"')

    assert response.status_code == 200
    doc = body(response)
    assert doc["schemas"] == [LIST_RESPONSE]
    assert doc["totalResults"] == 1
    assert doc["startIndex"] == 1
    assert doc["itemsPerPage"] == 1
    assert [r["id"] for r in doc["Resources"]] == [ann["id"]]
    # The stored spelling is returned, not the spelling of the query.
    assert doc["Resources"][0]["userName"] == "Ann.Lee@Contoso.example"
    assert doc["Resources"][0] == ann | {"meta": doc["Resources"][0]["meta"]}


def test_attribute_name_and_operator_are_case_insensitive(entra, ann):
    doc = body(entra.find('USERNAME EQ "ANN.LEE@CONTOSO.EXAMPLE"'))

    assert [r["id"] for r in doc["Resources"]] == [ann["id"]]


def test_external_id_eq_finds_the_user(entra, ann):
    response = entra.find('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7a2ac8a2c9f1"')

    assert response.status_code == 200
    doc = body(response)
    assert doc["totalResults"] == 1
    assert [r["id"] for r in doc["Resources"]] == [ann["id"]]
    assert doc["Resources"][0]["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7a2ac8a2c9f1"


def test_id_eq_finds_the_user(entra, ann, make_user):
    make_user("someone.else@contoso.example")

    doc = body(entra.find(f'id eq "{ann["id"]}"'))

    assert doc["totalResults"] == 1
    assert [r["id"] for r in doc["Resources"]] == [ann["id"]]


def test_id_eq_with_something_that_is_not_a_uuid_is_an_empty_list(entra, ann):
    response = entra.find('id eq "not-a-uuid"')

    assert response.status_code == 200
    assert body(response) == EMPTY


def test_and_of_two_eq_filters(entra, ann, make_user):
    make_user("bob@contoso.example", externalId="bob-ext")

    hit = body(
        entra.find('userName eq "ann.lee@contoso.example" and externalId eq "0a21f0f2-8d2a-4f8e-bf98-7a2ac8a2c9f1"')
    )
    miss = body(entra.find('userName eq "ann.lee@contoso.example" and externalId eq "bob-ext"'))

    assert [r["id"] for r in hit["Resources"]] == [ann["id"]]
    assert miss == EMPTY


def test_a_filter_never_reaches_another_company(entra, other_entra, other_admin, ann):
    assert body(other_entra.find('userName eq "ann.lee@contoso.example"')) == EMPTY
    assert body(entra.find('userName eq "olga@globex.example"')) == EMPTY


def test_disabled_users_are_still_found_with_active_false(entra, ann):
    from travelportal.companies.models import User

    entra.patch(f"Users/{ann['id']}", [{"op": "Replace", "path": "active", "value": False}])
    assert User.objects.get(pk=ann["id"]).is_active is False

    found = body(entra.find('userName eq "ann.lee@contoso.example"'))
    read = entra.get(f"Users/{ann['id']}")

    assert [r["id"] for r in found["Resources"]] == [ann["id"]]
    assert found["Resources"][0]["active"] is False
    assert read.status_code == 200
    assert body(read)["active"] is False


def test_deleted_users_are_not_found(entra, ann):
    assert entra.delete(f"Users/{ann['id']}").status_code == 204

    assert body(entra.find('userName eq "ann.lee@contoso.example"')) == EMPTY
    assert body(entra.find(f'id eq "{ann["id"]}"')) == EMPTY


@pytest.mark.parametrize(
    "expr",
    ['userName xx "a"', 'userName eq "unterminated', "userName eq", 'nosuchattribute eq "x"', '(userName eq "a"'],
)
def test_a_malformed_filter_is_a_400_invalid_filter(entra, expr):
    assert_scim_error(entra.find(expr), 400, "invalidFilter")


class TestPaging:
    @pytest.fixture
    def five(self, company):
        from travelportal.companies.models import User

        return {
            str(User.objects.create_user(f"p{i}@contoso.example", company=company, scim_managed=True).pk)
            for i in range(5)
        }

    def test_start_index_and_count_are_echoed(self, entra, five):
        response = entra.get("Users?startIndex=2&count=2")

        assert response.status_code == 200
        doc = body(response)
        assert doc["schemas"] == [LIST_RESPONSE]
        assert doc["totalResults"] == 5
        assert doc["startIndex"] == 2
        assert doc["itemsPerPage"] == 2
        assert len(doc["Resources"]) == 2

    def test_pages_cover_every_user_once(self, entra, five):
        seen = []
        for start in (1, 3, 5):
            doc = body(entra.get(f"Users?startIndex={start}&count=2"))
            assert doc["startIndex"] == start
            assert doc["itemsPerPage"] == len(doc["Resources"])
            seen += [r["id"] for r in doc["Resources"]]

        assert len(seen) == 5
        assert set(seen) == five

    def test_count_zero_answers_only_the_total(self, entra, five):
        doc = body(entra.get("Users?count=0"))

        assert doc["totalResults"] == 5
        assert doc["Resources"] == []
        assert doc["itemsPerPage"] == 0

    def test_a_start_index_past_the_end_is_an_empty_page(self, entra, five):
        doc = body(entra.get("Users?startIndex=50&count=10"))

        assert doc["totalResults"] == 5
        assert doc["Resources"] == []
        assert doc["startIndex"] == 50
        assert doc["itemsPerPage"] == 0

    def test_a_start_index_below_one_is_read_as_one(self, entra, five):
        doc = body(entra.get("Users?startIndex=0&count=2"))

        assert doc["startIndex"] == 1
        assert len(doc["Resources"]) == 2
