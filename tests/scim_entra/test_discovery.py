"""Discovery: what Entra reads when the admin opens or saves the provisioning settings."""

from __future__ import annotations

import pytest

from .conftest import CORE, ENTERPRISE, LIST_RESPONSE, TRAVELPERK, assert_scim_error, body

SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
PROPERTIES = ("type", "multiValued", "required", "caseExact", "mutability", "returned", "uniqueness")
TYPES = {"string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary"}
MUTABILITY = {"readOnly", "readWrite", "immutable", "writeOnly"}
RETURNED = {"always", "never", "default", "request"}
UNIQUENESS = {"none", "server", "global"}


def _walk_nulls(value, where="$"):
    if value is None:
        yield where
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk_nulls(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk_nulls(v, f"{where}[{i}]")


def _check_attribute(attr: dict, where: str) -> None:
    missing = [p for p in PROPERTIES if p not in attr]
    assert not missing, f"{where}.{attr.get('name')} lacks {missing}"
    assert attr["name"][:1].islower() or attr["name"].startswith("$"), f"{where}: {attr['name']} is not camelCase"
    assert attr["type"] in TYPES
    assert attr["multiValued"] in (True, False) and attr["required"] in (True, False)
    assert attr["caseExact"] in (True, False)
    assert attr["mutability"] in MUTABILITY
    assert attr["returned"] in RETURNED
    assert attr["uniqueness"] in UNIQUENESS
    if attr["type"] == "complex":
        assert attr.get("subAttributes"), f"{where}.{attr['name']} is complex without subAttributes"
        for sub in attr["subAttributes"]:
            _check_attribute(sub, f"{where}.{attr['name']}")
    if attr["type"] == "reference":
        assert attr.get("referenceTypes"), f"{where}.{attr['name']} has no referenceTypes"


def _attrs(schema: dict) -> dict:
    return {a["name"]: a for a in schema["attributes"]}


def _subs(attr: dict) -> dict:
    return {a["name"]: a for a in attr.get("subAttributes", [])}


def test_schemas_is_a_list_response_of_the_three_user_schemas(entra):
    response = entra.get("Schemas")

    assert response.status_code == 200
    doc = body(response)
    assert doc["schemas"] == [LIST_RESPONSE]
    ids = [s["id"] for s in doc["Resources"]]
    assert {CORE, ENTERPRISE, TRAVELPERK} <= set(ids)
    assert doc["totalResults"] == len(doc["Resources"]) == len(ids)
    for schema in doc["Resources"]:
        assert schema["meta"]["resourceType"] == "Schema"
        assert schema["meta"]["location"] == f"http://testserver/scim/v2/Schemas/{schema['id']}"


def test_schemas_describe_every_attribute_with_every_property_and_no_nulls(entra):
    doc = body(entra.get("Schemas"))

    assert list(_walk_nulls(doc)) == []
    for schema in doc["Resources"]:
        assert schema["attributes"], schema["id"]
        for attr in schema["attributes"]:
            _check_attribute(attr, schema["id"])


def test_core_user_schema_describes_every_mapped_attribute(entra):
    core = _attrs(body(entra.get(f"Schemas/{CORE}")))

    assert core["userName"]["required"] is True
    assert core["userName"]["uniqueness"] == "server"
    assert core["userName"]["caseExact"] is False
    assert core["active"]["type"] == "boolean"
    # externalId is a common attribute (RFC 7643 §3.1), so it need not be listed here.
    for name in ("title", "preferredLanguage", "locale", "displayName"):
        assert core[name]["type"] == "string" and core[name]["multiValued"] is False, name
    assert set(_subs(core["name"])) >= {"honorificPrefix", "familyName", "givenName", "middleName"}
    for multi in ("phoneNumbers", "emails"):
        assert core[multi]["type"] == "complex" and core[multi]["multiValued"] is True
        assert {"value", "type"} <= set(_subs(core[multi]))


def test_enterprise_schema_describes_cost_center_and_the_manager_reference(entra):
    enterprise = _attrs(body(entra.get(f"Schemas/{ENTERPRISE}")))

    assert enterprise["costCenter"]["type"] == "string"
    manager = enterprise["manager"]
    assert manager["type"] == "complex" and manager["multiValued"] is False
    subs = _subs(manager)
    assert set(subs) >= {"value", "$ref", "displayName"}
    assert subs["$ref"]["type"] == "reference" and "User" in subs["$ref"]["referenceTypes"]
    assert subs["displayName"]["mutability"] == "readOnly"


def test_travelperk_extension_is_fully_described(entra):
    response = entra.get(f"Schemas/{TRAVELPERK}")

    assert response.status_code == 200
    schema = body(response)
    assert schema["id"] == TRAVELPERK
    assert schema["schemas"] == [SCHEMA_SCHEMA]
    assert schema["name"] and schema["description"]
    attrs = _attrs(schema)
    assert set(attrs) >= {"gender", "dateOfBirth", "travelPolicy", "invoiceProfiles", "emergencyContact"}
    for name in ("gender", "dateOfBirth", "travelPolicy"):
        assert attrs[name]["type"] == "string" and attrs[name]["multiValued"] is False, name
        assert attrs[name]["mutability"] == "readWrite"
    assert attrs["invoiceProfiles"]["multiValued"] is True
    contact = attrs["emergencyContact"]
    assert contact["type"] == "complex" and contact["multiValued"] is False
    assert set(_subs(contact)) == {"name", "phone"}
    for attr in attrs.values():
        _check_attribute(attr, TRAVELPERK)


@pytest.mark.parametrize("urn", [CORE, ENTERPRISE, TRAVELPERK])
def test_each_schema_is_served_at_its_urn(entra, urn):
    listed = {s["id"]: s for s in body(entra.get("Schemas"))["Resources"]}

    response = entra.get(f"Schemas/{urn}")

    assert response.status_code == 200
    assert body(response) == listed[urn]


def test_an_unknown_schema_urn_is_a_scim_404(entra):
    assert_scim_error(entra.get("Schemas/urn:ietf:params:scim:schemas:extension:nope:2.0:User"), 404)


def test_service_provider_config_announces_patch_and_filter_with_json_booleans(entra):
    response = entra.get("ServiceProviderConfig")

    assert response.status_code == 200
    doc = body(response)
    assert doc["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert doc["patch"]["supported"] is True
    assert doc["filter"]["supported"] is True
    assert isinstance(doc["filter"]["maxResults"], int) and doc["filter"]["maxResults"] > 0
    for feature in ("bulk", "changePassword", "sort", "etag"):
        assert doc[feature]["supported"] in (True, False), feature
    assert doc["authenticationSchemes"], "no authentication scheme announced"
    assert any(s["type"].lower() in ("oauthbearertoken", "oauth2") for s in doc["authenticationSchemes"])
    assert list(_walk_nulls(doc)) == []


def test_resource_types_lists_user_with_both_extensions(entra):
    response = entra.get("ResourceTypes")

    assert response.status_code == 200
    doc = body(response)
    assert doc["schemas"] == [LIST_RESPONSE]
    assert doc["totalResults"] == len(doc["Resources"])
    user = next(r for r in doc["Resources"] if r["id"] == "User")
    assert user["name"] == "User"
    assert user["endpoint"] == "/Users"
    assert user["schema"] == CORE
    extensions = {e["schema"]: e["required"] for e in user["schemaExtensions"]}
    assert extensions == {ENTERPRISE: False, TRAVELPERK: False}
    assert user["meta"]["location"] == "http://testserver/scim/v2/ResourceTypes/User"


def test_resource_type_user_is_served_on_its_own(entra):
    listed = next(r for r in body(entra.get("ResourceTypes"))["Resources"] if r["id"] == "User")

    response = entra.get("ResourceTypes/User")

    assert response.status_code == 200
    assert body(response) == listed
    assert body(response)["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"]


@pytest.mark.parametrize("path", ["Schemas", "ServiceProviderConfig", "ResourceTypes"])
def test_discovery_needs_a_token(client, path):
    response = client.get(f"/scim/v2/{path}")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
