"""The Entra OAuth client and helpers that walk the authorization code flow with the
Django test client, as Entra and an admin's browser would."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

ENTRA_REDIRECT = "https://portal.azure.com/TokenAuthorize"


@dataclass
class EntraClient:
    application: object
    client_id: str
    client_secret: str


@pytest.fixture
def entra(db) -> EntraClient:
    from travelportal.tokens.services import register_entra_application

    result = register_entra_application()
    return EntraClient(result.application, result.application.client_id, result.client_secret)


def authorize_params(entra: EntraClient, **extra) -> dict:
    params = {
        "response_type": "code",
        "client_id": entra.client_id,
        "redirect_uri": ENTRA_REDIRECT,
        "state": "entra-state-42",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def consent(client, entra: EntraClient, *, allow: bool = True, **extra):
    """GET the authorization URL, then submit the consent form; returns the response."""
    page = client.get("/oauth2/authorize/", authorize_params(entra, **extra))
    assert page.status_code == 200, page.content.decode()[:500]
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    if allow:
        data["allow"] = "Authorize"
    return client.post("/oauth2/authorize/", data)


def redirect_query(response) -> dict[str, str]:
    assert response.status_code == 302, response.content.decode()[:500]
    parts = urlsplit(response["Location"])
    return {k: v[0] for k, v in parse_qs(parts.query).items()} | {
        "_base": f"{parts.scheme}://{parts.netloc}{parts.path}"
    }


def get_code(client, entra: EntraClient, **extra) -> str:
    query = redirect_query(consent(client, entra, **extra))
    return query["code"]


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def exchange(client, entra: EntraClient, code: str, *, in_body: bool = True, **extra):
    """POST the code to the token endpoint, as Entra does (form-encoded)."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": ENTRA_REDIRECT}
    headers = {}
    if in_body:
        data |= {"client_id": entra.client_id, "client_secret": entra.client_secret}
    else:
        headers["HTTP_AUTHORIZATION"] = basic_auth(entra.client_id, entra.client_secret)
    data.update(extra)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post("/oauth2/token/", data, **headers)


def refresh(client, entra: EntraClient, refresh_token: str, **extra):
    data = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": entra.client_id,
        "client_secret": entra.client_secret,
    }
    data.update(extra)
    return client.post("/oauth2/token/", data)


@pytest.fixture
def entra_tokens(acme_admin_client, entra) -> dict:
    """A token response Acme's admin obtained through Authorize."""
    response = exchange(acme_admin_client, entra, get_code(acme_admin_client, entra))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def fresh_oauth_server():
    """django-oauth-toolkit builds its server (with the token lifetime) once per view class;
    drop it before and after so a test's settings take effect and don't leak."""
    from oauth2_provider.views import TokenView

    from travelportal.tokens.views import AuthorizeView, CompanyTokenView

    def drop():
        for view in (TokenView, CompanyTokenView, AuthorizeView):
            if "_oauthlib_core" in view.__dict__:
                delattr(view, "_oauthlib_core")

    drop()
    yield
    drop()
