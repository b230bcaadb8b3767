"""Who may call the SCIM API: company tokens, scopes, and SCIM switched off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.scim.conftest import ScimClient, db_state, entra_user
from travelportal.tokens.models import Credential, hash_token

pytestmark = pytest.mark.django_db

ENDPOINTS = ["Users", "Users/00000000-0000-0000-0000-000000000000", "Schemas", "ResourceTypes", "ServiceProviderConfig"]


def _token_with_scopes(company, scope: str) -> str:
    raw = f"tps_limited_{scope.replace(':', '_').replace(' ', '_')}"
    Credential.objects.create(
        kind=Credential.Kind.SCIM_TOKEN,
        company=company,
        name="limited",
        token_hash=hash_token(raw),
        prefix=raw[:10],
        scope=scope,
    )
    return raw


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz", "tps_raw_without_scheme"])
def test_no_or_a_bad_token_is_401_with_a_scim_body(client, company, path, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get(f"/scim/v2/{path}", **extra)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == "application/scim+json"
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert response.json()["status"] == "401"


def test_an_anonymous_write_is_401_and_writes_nothing(anonymous_scim, company):
    before = db_state()

    assert anonymous_scim.post("Users", entra_user()).status_code == 401
    assert db_state() == before


def test_a_revoked_or_expired_token_is_401(client, company, scim_token):
    token = Credential.objects.get()
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()

    assert ScimClient(client, scim_token).get("Users").status_code == 401


def test_an_oauth_access_token_of_the_company_works(client, company, acme_admin):
    from oauth2_provider.models import get_access_token_model, get_application_model

    app = get_application_model().objects.create(
        name="Entra",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://portal.azure.com/TokenAuthorize",
    )
    raw = "oauth-access-token-value"
    get_access_token_model().objects.create(
        token=raw,
        application=app,
        user=acme_admin,
        company=company,
        expires=timezone.now() + timedelta(hours=1),
        scope="scim:read scim:write scim:delete",
    )

    response = ScimClient(client, raw).get("Users")

    assert response.status_code == 200
    assert response.json()["totalResults"] == 1


def test_a_company_with_scim_switched_off_is_403_saying_so(scim, company):
    company.scim_enabled = False
    company.save()

    response = scim.get("Users")

    assert response.status_code == 403
    assert "SCIM is switched off" in response.json()["detail"]


@pytest.mark.parametrize(
    ("scope", "method", "allowed"),
    [
        ("scim:read", "GET", True),
        ("scim:read", "POST", False),
        ("scim:read", "DELETE", False),
        ("scim:write", "GET", False),
        ("scim:write", "POST", True),
        ("scim:write", "DELETE", False),
        ("scim:read scim:write", "PATCH", True),
        ("scim:read scim:write", "DELETE", False),
        ("scim:delete", "DELETE", True),
    ],
)
def test_each_verb_needs_its_scope(client, company, traveller, scope, method, allowed):
    scim = ScimClient(client, _token_with_scopes(company, scope))
    path = "Users" if method in ("GET", "POST") else f"Users/{traveller.pk}"
    body = None
    if method == "POST":
        body = {"userName": "new@acme.example"}
    elif method == "PATCH":
        body = {"Operations": [{"op": "replace", "path": "title", "value": "x"}]}
    before = db_state()

    response = scim.request(method, path, body)

    if allowed:
        assert response.status_code < 400, response.content
    else:
        assert response.status_code == 403
        assert "scope" in response.json()["detail"]
        assert db_state() == before


def test_the_token_belongs_to_the_company_not_to_a_person(scim, acme_admin, company):
    # The admin who made the token leaves; the connection keeps working.
    acme_admin.is_active = False
    acme_admin.save()

    assert scim.get("Users").status_code == 200


def test_requests_with_scim_content_type_are_parsed_and_answers_are_scim_json(scim, catalogue):
    response = scim.post("Users", entra_user())

    assert response.status_code == 201
    assert response["Content-Type"] == "application/scim+json"
