"""OAuth clients a company registers: client credentials tokens belong to that company and
carry only the client's scopes; the Entra client is unchanged."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from travelportal.tokens.applications import register_company_application

pytestmark = pytest.mark.django_db


def _token(client_id: str, secret: str, **data):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client().post(
        "/oauth2/token/", {"grant_type": "client_credentials", **data}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )


def test_a_client_credentials_token_belongs_to_the_clients_company(company, other_company):
    from travelportal.companies.models import CostCentre

    CostCentre.objects.create(company=company, name="Ours")
    CostCentre.objects.create(company=other_company, name="Theirs")
    registered = register_company_application(
        company=company, name="ERP", grant="client-credentials", scopes=["cost_centers:read"]
    )
    response = _token(registered.client_id, registered.client_secret)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == "cost_centers:read"
    listed = Client().get("/api/cost_centers", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}").json()
    assert [c["name"] for c in listed["cost_centers"]] == ["Ours"]


def test_a_client_gets_no_scope_it_was_not_registered_with(company):
    registered = register_company_application(
        company=company, name="ERP", grant="client-credentials", scopes=["users:read"]
    )
    body = _token(registered.client_id, registered.client_secret, scope="users:read scim:write trips:read").json()
    assert body["scope"] == "users:read"


def test_a_client_without_a_company_may_not_use_client_credentials(db):
    from oauth2_provider.models import get_application_model

    Application = get_application_model()
    app = Application.objects.create(
        name="Stray",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret="s3cret-s3cret",
        hash_client_secret=True,
    )
    response = _token(app.client_id, "s3cret-s3cret")
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "unauthorized_client"


def test_a_wrong_secret_gets_no_token(company):
    registered = register_company_application(
        company=company, name="ERP", grant="client-credentials", scopes=["users:read"]
    )
    assert _token(registered.client_id, "wrong").status_code == 401
