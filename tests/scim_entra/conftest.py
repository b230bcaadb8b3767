"""Black-box helpers for replaying Microsoft Entra ID's SCIM requests (see
/work/shared/docs/entra-scim.md): a client that sends application/scim+json with a
bearer token and checks that every answer with a body is application/scim+json."""

from __future__ import annotations

import json
import uuid

import pytest

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TRAVELPERK = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
BASE = "http://testserver/scim/v2"


class Entra:
    """Speaks to /scim/v2 the way Entra's provisioning engine does."""

    def __init__(self, client, token: str | None, scheme: str = "Bearer") -> None:
        self.client = client
        self.token = token
        self.scheme = scheme

    def _call(self, method: str, path: str, body=None, raw: str | None = None):
        url = path if path.startswith("/") else f"/scim/v2/{path}"
        headers = {"HTTP_AUTHORIZATION": f"{self.scheme} {self.token}"} if self.token else {}
        call = getattr(self.client, method)
        if body is None and raw is None:
            response = call(url, **headers)
        else:
            data = raw if raw is not None else json.dumps(body)
            response = call(url, data=data, content_type="application/scim+json", **headers)
        if response.status_code != 204 and response.content:
            assert response["Content-Type"].startswith("application/scim+json"), (
                f"{method.upper()} {url} answered Content-Type {response['Content-Type']!r}"
            )
        return response

    def get(self, path):
        return self._call("get", path)

    def post(self, path, body=None, raw=None):
        return self._call("post", path, body, raw)

    def patch(self, path, operations=None, raw=None):
        body = None if raw is not None else {"schemas": [PATCH_OP], "Operations": operations}
        return self._call("patch", path, body, raw)

    def delete(self, path):
        return self._call("delete", path)

    def find(self, filter_expr: str):
        """A filtered GET with the query URL-encoded using + for spaces, as Entra sends it."""
        from urllib.parse import quote_plus

        return self.get(f"Users?filter={quote_plus(filter_expr)}")


def body(response) -> dict:
    return json.loads(response.content)


def assert_scim_error(response, status: int, scim_type: str | None = None) -> dict:
    """RFC 7644 §3.12 error body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    doc = body(response)
    assert doc["schemas"] == [ERROR]
    assert doc["status"] == str(status)
    if scim_type is not None:
        assert doc.get("scimType") == scim_type, doc
    if status >= 400 and status != 401:
        assert isinstance(doc.get("detail"), str) and doc["detail"].strip(), doc
    return doc


def find_typed(values, type_: str) -> dict | None:
    return next((v for v in values or [] if v.get("type") == type_), None)


def user_url(user_id) -> str:
    return f"{BASE}/Users/{user_id}"


@pytest.fixture
def entra(client, scim_token):
    return Entra(client, scim_token)


@pytest.fixture
def other_entra(client, other_scim_token):
    return Entra(client, other_scim_token)


@pytest.fixture
def catalogue(company, other_company):
    """The names Entra's mapping refers to: travel policies and invoice profiles must
    exist in the company (they are chosen from lists in the portal)."""
    from travelportal.companies.models import InvoiceProfile, TravelPolicy

    return {
        "standard": TravelPolicy.objects.create(company=company, name="Standard"),
        "premium": TravelPolicy.objects.create(company=company, name="Premium"),
        "acme_ltd": InvoiceProfile.objects.create(company=company, name="Acme Ltd"),
        "acme_gmbh": InvoiceProfile.objects.create(company=company, name="Acme GmbH"),
        "other_policy": TravelPolicy.objects.create(company=other_company, name="Globex Only"),
    }


def full_payload(**overrides) -> dict:
    """Every attribute of the TravelPerk attribute table, as Entra's POST carries it."""
    payload = {
        "schemas": [CORE, ENTERPRISE, TRAVELPERK],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7a2ac8a2c9f1",
        "userName": "Ann.Lee@Contoso.example",
        "active": True,
        "displayName": "Ann Lee",
        "title": "Head of Travel",
        "preferredLanguage": "en-GB",
        "locale": "en-GB",
        "name": {"honorificPrefix": "Dr", "givenName": "Ann", "middleName": "Marie", "familyName": "Lee"},
        "emails": [{"primary": True, "type": "work", "value": "ann.lee@contoso.example"}],
        "phoneNumbers": [{"type": "work", "value": "+1 (555) 010-0000"}],
        ENTERPRISE: {"costCenter": "Sales"},
        TRAVELPERK: {
            "gender": "F",
            "dateOfBirth": "1985-04-12",
            "travelPolicy": "Standard",
            "invoiceProfiles": [{"value": "Acme Ltd"}],
            "emergencyContact": {"name": "Ann", "phone": "+34 600 000 000"},
        },
    }
    payload.update(overrides)
    return payload


def minimal_payload(user_name: str, **extra) -> dict:
    return {"schemas": [CORE], "userName": user_name, "active": True, **extra}


@pytest.fixture
def make_user(entra):
    """Create a user through POST /Users and return its SCIM document."""

    def make(user_name: str | None = None, **extra) -> dict:
        name = user_name or f"{uuid.uuid4().hex[:8]}@contoso.example"
        response = entra.post("Users", minimal_payload(name, **extra))
        assert response.status_code == 201, response.content
        return body(response)

    return make


@pytest.fixture
def ann(entra, catalogue) -> dict:
    response = entra.post("Users", full_payload())
    assert response.status_code == 201, response.content
    return body(response)


@pytest.fixture
def mona(make_user) -> dict:
    """A manager, provisioned first as Entra's second pass requires."""
    return make_user(
        "mona.manager@contoso.example",
        displayName="Mona Manager",
        name={"givenName": "Mona", "familyName": "Manager"},
    )
