"""The published OpenAPI schema and its docs: public, served by the portal (no CDN), and
every operation names its scope."""

from __future__ import annotations

import re

import pytest
import yaml

from travelportal.tokens.scopes import API_SCOPES

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_every_operation_carries_its_scope(schema):
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) >= 20
    for path, method, op in operations:
        scopes = op.get("x-required-scopes")
        assert scopes and set(scopes) <= set(API_SCOPES), (method, path)
        assert {"OAuth2": scopes} in op["security"] and {"ApiKey": []} in op["security"], (method, path)
        assert f"Required scope: `{scopes[0]}`." in op["description"], (method, path)
        assert "application/problem+json" in op["responses"]["401"]["content"], (method, path)


def test_the_schema_documents_both_credentials_and_every_scope(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKey"]["type"] == "apiKey" and schemes["ApiKey"]["name"] == "Authorization"
    assert schemes["OAuth2"]["flows"]["clientCredentials"]["scopes"] == API_SCOPES


def test_travelperks_paths_are_published(schema):
    for path in (
        "/api/cost_centers",
        "/api/cost_centers/{id}",
        "/api/cost_centers/bulk_update",
        "/api/cost_centers/{id}/users",
        "/api/profiles",
        "/api/users",
        "/api/trips",
        "/api/trips/{id}",
    ):
        assert path in schema["paths"], path


@pytest.mark.parametrize("url", ["/api/docs/", "/api/docs/redoc/"])
def test_the_docs_are_served_by_the_portal_without_a_cdn(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("drf_spectacular_sidecar" in source for source in sources), sources
    assert not [source for source in sources if source.startswith(("http://", "https://", "//"))], sources
    if url == "/api/docs/":
        # Swagger UI's settings are in its init script, served from ?script (no inline code).
        (script,) = [source for source in sources if source.startswith("/api/docs/?script")]
        init = client.get(script)
        assert init["Content-Type"] == "application/javascript"
        # Swagger UI's badge would load from validator.swagger.io.
        assert '"validatorUrl": null' in init.content.decode()
