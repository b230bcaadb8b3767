"""Discovery endpoints (RFC 7643 §5-7): what an Entra admin's mapping list is built from."""

from __future__ import annotations

import pytest

from tests.scim.conftest import CORE, ENTERPRISE, TRAVELPERK

pytestmark = pytest.mark.django_db

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _attributes(schema: dict) -> dict:
    return {a["name"]: a for a in schema["attributes"]}


def test_schemas_list_the_three_user_schemas_and_the_group_schema_with_total_results(scim):
    response = scim.get("Schemas")

    assert response.status_code == 200
    body = response.json()
    assert body["schemas"] == [LIST]
    assert body["totalResults"] == 4 == len(body["Resources"])
    assert {s["id"] for s in body["Resources"]} == {CORE, ENTERPRISE, TRAVELPERK, GROUP}
    for schema in body["Resources"]:
        assert schema["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Schema"]
        assert schema["meta"]["resourceType"] == "Schema"
        assert schema["meta"]["location"].startswith("http://testserver/scim/v2/Schemas/")


def test_every_attribute_is_fully_described_without_nulls(scim):
    def check(attribute):
        for key in ("name", "type", "multiValued", "required", "mutability", "returned"):
            assert key in attribute, (attribute["name"], key)
        if attribute["type"] in ("string", "reference"):
            assert "caseExact" in attribute and "uniqueness" in attribute
        assert None not in attribute.values()
        for sub in attribute.get("subAttributes", []):
            check(sub)

    for schema in scim.get("Schemas").json()["Resources"]:
        for attribute in schema["attributes"]:
            check(attribute)


def test_the_travelperk_extension_is_described_completely(scim, catalogue):
    response = scim.get(f"Schemas/{TRAVELPERK}")

    assert response.status_code == 200
    attributes = _attributes(response.json())
    assert set(attributes) == {
        "gender",
        "dateOfBirth",
        "invoiceProfiles",
        "emergencyContact",
        "travelPolicy",
    }
    assert attributes["invoiceProfiles"]["multiValued"] is True
    assert attributes["invoiceProfiles"]["type"] == "complex"
    assert attributes["invoiceProfiles"]["subAttributes"][0]["canonicalValues"] == ["Acme Inc", "Acme Ltd"]
    assert attributes["travelPolicy"]["canonicalValues"] == ["Executive", "Standard"]
    assert {s["name"] for s in attributes["emergencyContact"]["subAttributes"]} == {"name", "phone"}


def test_the_core_and_enterprise_schemas_hold_the_mapped_attributes(scim):
    core = _attributes(scim.get(f"Schemas/{CORE}").json())
    enterprise = _attributes(scim.get(f"Schemas/{ENTERPRISE}").json())

    assert {"userName", "name", "title", "preferredLanguage", "locale", "active", "emails", "phoneNumbers"} <= set(core)
    assert core["userName"]["uniqueness"] == "server" and core["userName"]["required"] is True
    assert {s["name"] for s in enterprise["manager"]["subAttributes"]} == {"value", "$ref", "displayName"}
    assert "costCenter" in enterprise


def test_an_unknown_schema_is_a_scim_404(scim):
    response = scim.get("Schemas/urn:nope")

    assert response.status_code == 404
    assert response.json()["status"] == "404"


def test_resource_types_list_users_and_groups_with_a_relative_endpoint(scim):
    body = scim.get("ResourceTypes").json()

    assert body["totalResults"] == 2
    user, group = body["Resources"]
    assert user["endpoint"] == "/Users"
    assert user["schema"] == CORE
    assert {e["schema"] for e in user["schemaExtensions"]} == {ENTERPRISE, TRAVELPERK}
    assert scim.get("ResourceTypes/User").json() == user
    assert (group["endpoint"], group["schema"]) == ("/Groups", GROUP)
    assert scim.get("ResourceTypes/Group").json() == group
    assert scim.get("ResourceTypes/Role").status_code == 404


@pytest.mark.parametrize("path", ["Groups/abc", "Nope", "Users/a/b"])
def test_unknown_groups_and_paths_are_a_clean_scim_404(scim, path):
    response = scim.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/scim+json"
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


@pytest.mark.parametrize("path", ["Bulk", "Me"])
def test_endpoints_not_offered_answer_501(scim, path):
    response = scim.post(path, {})

    assert response.status_code == 501
    assert response.json()["status"] == "501"


def test_service_provider_config_says_what_is_offered(scim, settings):
    settings.PUBLIC_BASE_URL = "https://travel.example"

    body = scim.get("ServiceProviderConfig").json()

    assert body["patch"] == {"supported": True}
    assert body["filter"] == {"supported": True, "maxResults": settings.SCIM_MAX_PAGE_SIZE}
    assert body["bulk"]["supported"] is False
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert body["meta"]["location"] == "https://travel.example/scim/v2/ServiceProviderConfig"
