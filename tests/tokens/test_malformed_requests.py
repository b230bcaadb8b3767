"""Malformed OAuth requests get an OAuth error, never a 500.

django-oauth-toolkit looks client ids and codes up, and stores PKCE challenges, as they
arrive; PostgreSQL refuses NUL in text, so before the endpoints refused NUL-bearing input
these requests were 500s there.
"""

from __future__ import annotations

import pytest

from tests.tokens.conftest import ENTRA_REDIRECT, authorize_params, basic_auth
from travelportal.tokens.views import NUL_DESCRIPTION

pytestmark = pytest.mark.django_db


def _models():
    from oauth2_provider.models import get_access_token_model, get_grant_model

    return get_access_token_model(), get_grant_model()


def _assert_invalid_request(response) -> None:
    assert response.status_code == 400, response.content
    assert response.json() == {"error": "invalid_request", "error_description": NUL_DESCRIPTION}


@pytest.mark.parametrize("field", ["code", "client_id", "redirect_uri"])
def test_the_token_endpoint_refuses_a_nul_in_a_parameter(client, entra, field):
    AccessToken, _ = _models()
    data = {
        "grant_type": "authorization_code",
        "code": "a-code",
        "redirect_uri": ENTRA_REDIRECT,
        "client_id": entra.client_id,
        "client_secret": entra.client_secret,
    }
    data[field] += "\x00"

    _assert_invalid_request(client.post("/oauth2/token/", data))
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("client_id", ["entra\x00", "entra%00"])
def test_the_token_endpoint_refuses_a_nul_in_http_basic_credentials(client, entra, client_id):
    response = client.post(
        "/oauth2/token/",
        {"grant_type": "authorization_code", "code": "a-code", "redirect_uri": ENTRA_REDIRECT},
        HTTP_AUTHORIZATION=basic_auth(client_id, entra.client_secret),
    )

    _assert_invalid_request(response)


def test_a_malformed_basic_header_is_still_the_toolkits_invalid_client(client, entra):
    response = client.post(
        "/oauth2/token/",
        {"grant_type": "authorization_code", "code": "a-code", "redirect_uri": ENTRA_REDIRECT},
        HTTP_AUTHORIZATION="Basic not-base64!",
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_the_revocation_endpoint_refuses_a_nul(client, entra, entra_tokens):
    AccessToken, _ = _models()

    response = client.post(
        "/oauth2/revoke_token/",
        {"token": entra_tokens["access_token"] + "\x00", "client_id": entra.client_id},
        HTTP_AUTHORIZATION=basic_auth(entra.client_id, entra.client_secret),
    )

    _assert_invalid_request(response)
    assert AccessToken.objects.count() == 1


def test_the_authorization_endpoint_shows_an_error_page_for_a_nul(acme_admin_client, entra):
    response = acme_admin_client.get("/oauth2/authorize/", authorize_params(entra, client_id="entra\x00"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "can't be completed" in html
    assert NUL_DESCRIPTION in html


def test_the_token_endpoint_still_needs_no_csrf_token(entra):
    """Overriding dispatch must keep the toolkit's CSRF exemption: Entra has no cookie."""
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        "/oauth2/token/",
        {"grant_type": "authorization_code", "code": "nope", "redirect_uri": ENTRA_REDIRECT},
        HTTP_AUTHORIZATION=basic_auth(entra.client_id, entra.client_secret),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
