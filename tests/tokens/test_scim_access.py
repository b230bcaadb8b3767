"""What a token obtained through Authorize (or issued as a secret) can do on the SCIM API.

The SCIM endpoints themselves (and their 401/403 answers) live in ``scim/``; these tests
check the contract between the two: a token works for its company only, within its scopes,
and stops at once when expired, revoked or disconnected.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.tokens.conftest import refresh

pytestmark = pytest.mark.django_db

SCIM_JSON = "application/scim+json"


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_test_connection_works_with_the_token_from_authorize(client, entra_tokens):
    response = client.get(
        "/scim/v2/Users", {"filter": f'userName eq "{uuid.uuid4()}"'}, **bearer(entra_tokens["access_token"])
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totalResults"] == 0
    assert body["Resources"] == []


def test_the_token_reads_its_companys_users(client, entra_tokens, traveller):
    response = client.get(f"/scim/v2/Users/{traveller.pk}", **bearer(entra_tokens["access_token"]))

    assert response.status_code == 200, response.content
    assert response.json()["userName"] == traveller.username


def test_the_token_cannot_reach_another_companys_user(client, entra_tokens, other_admin):
    response = client.get(f"/scim/v2/Users/{other_admin.pk}", **bearer(entra_tokens["access_token"]))

    assert response.status_code == 404


def test_the_token_does_not_list_another_companys_users(client, entra_tokens, other_admin):
    response = client.get(
        "/scim/v2/Users", {"filter": f'userName eq "{other_admin.username}"'}, **bearer(entra_tokens["access_token"])
    )

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


def test_a_token_without_the_write_scope_cannot_create(client, acme_admin_client, entra, company):
    from tests.tokens.conftest import exchange, get_code
    from travelportal.companies.models import User

    token = exchange(acme_admin_client, entra, get_code(acme_admin_client, entra, scope="scim:read")).json()[
        "access_token"
    ]
    before = User.objects.count()

    response = client.post(
        "/scim/v2/Users",
        data={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "new@acme.example"},
        content_type=SCIM_JSON,
        **bearer(token),
    )

    assert response.status_code == 403
    assert User.objects.count() == before


def test_an_expired_access_token_gets_401(client, entra_tokens):
    from oauth2_provider.models import get_access_token_model

    get_access_token_model().objects.update(expires=timezone.now() - timedelta(seconds=1))

    response = client.get("/scim/v2/Users", **bearer(entra_tokens["access_token"]))

    assert response.status_code == 401


def test_a_revoked_access_token_gets_401(client, entra, entra_tokens):
    client.post(
        "/oauth2/revoke_token/",
        {"token": entra_tokens["access_token"], "client_id": entra.client_id, "client_secret": entra.client_secret},
    )

    response = client.get("/scim/v2/Users", **bearer(entra_tokens["access_token"]))

    assert response.status_code == 401


def test_disconnecting_entra_stops_the_token_at_once(client, entra_tokens, company):
    from travelportal.tokens.services import disconnect_entra

    disconnect_entra(company=company)

    assert client.get("/scim/v2/Users", **bearer(entra_tokens["access_token"])).status_code == 401


def test_a_revoked_secret_token_gets_401(client, company):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential, revoke_credential

    token, raw = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Okta")
    assert client.get("/scim/v2/Users", **bearer(raw)).status_code == 200
    revoke_credential(credential=token)

    assert client.get("/scim/v2/Users", **bearer(raw)).status_code == 401


def test_an_expired_secret_token_gets_401(client, company):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    token, raw = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Okta")
    Credential.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert client.get("/scim/v2/Users", **bearer(raw)).status_code == 401


def test_tokens_keep_working_after_the_admin_who_authorized_them_is_deactivated(
    client, entra, entra_tokens, acme_admin, company
):
    from oauth2_provider.models import get_access_token_model

    acme_admin.is_active = False
    acme_admin.save(update_fields=["is_active"])

    assert client.get("/scim/v2/Users", **bearer(entra_tokens["access_token"])).status_code == 200
    refreshed = refresh(client, entra, entra_tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.content
    assert client.get("/scim/v2/Users", **bearer(refreshed.json()["access_token"])).status_code == 200
    assert get_access_token_model().objects.get().company == company
    # While the person themself can no longer sign in.
    signin = client.post("/accounts/login/", {"username": acme_admin.username, "password": PASSWORD})
    assert signin.status_code == 200
    assert signin.context["form"].errors
    assert not signin.context["user"].is_authenticated


def test_tokens_keep_working_after_the_admin_who_authorized_them_is_deleted(client, entra, entra_tokens, acme_admin):
    acme_admin.deleted_at = timezone.now()
    acme_admin.is_active = False
    acme_admin.save(update_fields=["deleted_at", "is_active"])

    refreshed = refresh(client, entra, entra_tokens["refresh_token"])

    assert refreshed.status_code == 200, refreshed.content
    assert client.get("/scim/v2/Users", **bearer(refreshed.json()["access_token"])).status_code == 200


def test_an_admin_deactivated_over_scim_is_signed_out_and_their_authorization_keeps_working(
    client, entra, entra_tokens, acme_admin, scim_token, django_capture_on_commit_callbacks
):
    from django.contrib.sessions.models import Session
    from django.test import Client

    browser = Client()
    assert browser.post("/accounts/login/", {"username": acme_admin.username, "password": PASSWORD}).status_code == 302
    session_key = browser.session.session_key

    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"/scim/v2/Users/{acme_admin.pk}",
            data={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
            },
            content_type=SCIM_JSON,
            **bearer(scim_token),
        )

    assert response.status_code in {200, 204}, response.content
    acme_admin.refresh_from_db()
    assert acme_admin.is_active is False
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not browser.get("/accounts/login/").context["user"].is_authenticated
    assert client.get("/scim/v2/Users", **bearer(entra_tokens["access_token"])).status_code == 200
    assert refresh(client, entra, entra_tokens["refresh_token"]).status_code == 200
