"""The authorization code flow (RFC 6749 §4.1) as Entra drives it, with the test client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from tests.tokens.conftest import (
    ENTRA_REDIRECT,
    authorize_params,
    basic_auth,
    consent,
    exchange,
    get_code,
    redirect_query,
    refresh,
)

pytestmark = pytest.mark.django_db


def _models():
    from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

    return get_access_token_model(), get_refresh_token_model(), get_grant_model()


def test_the_code_flow_gives_entra_a_token_of_the_admins_company(acme_admin_client, entra, acme_admin, company):
    AccessToken, RefreshToken, Grant = _models()

    query = redirect_query(consent(acme_admin_client, entra))

    assert query["_base"] == ENTRA_REDIRECT
    assert query["state"] == "entra-state-42"
    grant = Grant.objects.get(code=query["code"])
    assert grant.user == acme_admin

    response = exchange(acme_admin_client, entra, query["code"])

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {"scim:read", "scim:write", "scim:delete"}
    assert body["refresh_token"]
    token = AccessToken.objects.get(token_checksum=hashlib.sha256(body["access_token"].encode()).hexdigest())
    assert token.company == company
    assert token.user == acme_admin
    assert token.application == entra.application
    refresh_token = RefreshToken.objects.get(access_token=token)
    assert refresh_token.company == company
    assert not Grant.objects.filter(code=query["code"]).exists()


def test_the_consent_page_names_the_company_the_application_and_what_it_may_do(acme_admin_client, entra):
    response = acme_admin_client.get("/oauth2/authorize/", authorize_params(entra))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme" in html
    assert "Microsoft Entra ID provisioning" in html
    assert "create and update Acme's users" in html
    assert "deactivate and delete Acme's users" in html
    assert "Authorize App" in html
    assert "Cancel" in html


def test_the_consent_page_warns_when_scim_is_switched_off(acme_admin_client, entra, company):
    on = acme_admin_client.get("/oauth2/authorize/", authorize_params(entra)).content.decode()
    company.scim_enabled = False
    company.save(update_fields=["scim_enabled"])

    off = acme_admin_client.get("/oauth2/authorize/", authorize_params(entra)).content.decode()

    assert "The SCIM API is switched off for Acme" not in on
    assert "The SCIM API is switched off for Acme" in off
    assert "Authorize App" in off


def test_an_access_token_lifetime_comes_from_settings(acme_admin_client, entra, settings, fresh_oauth_server):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ACCESS_TOKEN_EXPIRE_SECONDS": 6 * 3600}

    response = exchange(acme_admin_client, entra, get_code(acme_admin_client, entra))

    assert response.json()["expires_in"] == 6 * 3600


def test_the_client_may_authenticate_with_http_basic(acme_admin_client, entra, company):
    AccessToken, _, _ = _models()

    response = exchange(acme_admin_client, entra, get_code(acme_admin_client, entra), in_body=False)

    assert response.status_code == 200, response.content
    assert AccessToken.objects.filter(company=company).count() == 1


def test_pkce_is_accepted_when_the_client_sends_it(acme_admin_client, entra):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    code = get_code(acme_admin_client, entra, code_challenge=challenge, code_challenge_method="S256")

    wrong = exchange(acme_admin_client, entra, code, code_verifier=secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"

    code = get_code(acme_admin_client, entra, code_challenge=challenge, code_challenge_method="S256")
    response = exchange(acme_admin_client, entra, code, code_verifier=verifier)
    assert response.status_code == 200, response.content


def test_a_code_issued_with_pkce_is_refused_without_the_verifier(acme_admin_client, entra):
    AccessToken, _, _ = _models()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"x" * 50).digest()).rstrip(b"=").decode()
    code = get_code(acme_admin_client, entra, code_challenge=challenge, code_challenge_method="S256")

    response = exchange(acme_admin_client, entra, code)

    assert response.status_code == 400
    assert not AccessToken.objects.exists()


def test_other_clients_than_entra_must_use_pkce(acme_admin_client):
    from oauth2_provider.models import get_application_model

    Application = get_application_model()
    other = Application.objects.create(
        name="A script",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://script.example/cb",
    )

    response = acme_admin_client.get(
        "/oauth2/authorize/",
        {"response_type": "code", "client_id": other.client_id, "redirect_uri": "https://script.example/cb"},
    )

    query = redirect_query(response)
    assert query["error"] == "invalid_request"
    assert query["error_description"] == "Code challenge required."


def test_the_plain_pkce_method_is_refused(acme_admin_client, entra):
    _, _, Grant = _models()
    page = acme_admin_client.get(
        "/oauth2/authorize/", authorize_params(entra, code_challenge="x" * 50, code_challenge_method="plain")
    )
    if page.status_code == 200:
        data = {k: v for k, v in page.context["form"].initial.items() if v is not None} | {"allow": "Authorize"}
        page = acme_admin_client.post("/oauth2/authorize/", data)

    assert redirect_query(page)["error"] == "invalid_request"
    assert not Grant.objects.exists()


def test_cancel_sends_access_denied_and_the_state_back(acme_admin_client, entra):
    _, _, Grant = _models()

    query = redirect_query(consent(acme_admin_client, entra, allow=False))

    assert query["_base"] == ENTRA_REDIRECT
    assert query["error"] == "access_denied"
    assert query["state"] == "entra-state-42"
    assert "code" not in query
    assert not Grant.objects.exists()


def test_a_redirect_uri_that_is_not_registered_exactly_is_refused_without_redirecting(acme_admin_client, entra):
    _, _, Grant = _models()
    for uri in (
        "https://evil.example/TokenAuthorize",
        "https://portal.azure.com/TokenAuthorize/",
        "https://portal.azure.com/tokenauthorize",
        "https://portal.azure.com/TokenAuthorize?x=1",
    ):
        response = acme_admin_client.get("/oauth2/authorize/", authorize_params(entra, redirect_uri=uri))
        assert response.status_code == 400, uri
        assert "can't be completed" in response.content.decode()
    assert not Grant.objects.exists()


def test_the_state_comes_back_exactly_as_sent(acme_admin_client, entra):
    state = "a b+c/=?&x%20ü"

    query = redirect_query(consent(acme_admin_client, entra, state=state))

    assert query["state"] == state


def test_a_tampered_consent_form_is_refused_without_a_code(acme_admin_client, entra):
    _, _, Grant = _models()
    page = acme_admin_client.get("/oauth2/authorize/", authorize_params(entra))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None} | {"allow": "Authorize"}

    elsewhere = acme_admin_client.post("/oauth2/authorize/", data | {"redirect_uri": "https://evil.example/cb"})
    incomplete = acme_admin_client.post("/oauth2/authorize/", {"allow": "Authorize", "client_id": entra.client_id})

    assert elsewhere.status_code == 400
    assert "evil.example" not in elsewhere.get("Location", "")
    assert incomplete.status_code == 400
    assert "The authorization form was incomplete" in incomplete.content.decode()
    assert not Grant.objects.exists()


def test_the_entra_admin_center_redirect_uri_is_registered(acme_admin_client, entra):
    query = redirect_query(consent(acme_admin_client, entra, redirect_uri="https://entra.microsoft.com/TokenAuthorize"))

    assert query["_base"] == "https://entra.microsoft.com/TokenAuthorize"
    assert query["code"]


def test_an_unknown_client_id_gets_an_error_page(acme_admin_client, entra):
    response = acme_admin_client.get("/oauth2/authorize/", authorize_params(entra, client_id="nope"))

    assert response.status_code == 400
    assert "can't be completed" in response.content.decode()


def test_the_token_endpoint_refuses_another_redirect_uri_than_the_codes(acme_admin_client, entra):
    AccessToken, _, _ = _models()
    code = get_code(acme_admin_client, entra)

    response = exchange(acme_admin_client, entra, code, redirect_uri="https://entra.microsoft.com/TokenAuthorize")

    assert response.status_code == 400
    # oauthlib reports a redirect_uri mismatch (RFC 6749 §4.1.3) as invalid_request.
    assert response.json()["error"] in {"invalid_request", "invalid_grant"}
    assert not AccessToken.objects.exists()


def test_the_token_endpoint_refuses_a_wrong_client_secret(acme_admin_client, entra):
    AccessToken, _, _ = _models()
    code = get_code(acme_admin_client, entra)

    in_body = exchange(acme_admin_client, entra, code, client_secret="wrong")
    in_basic = acme_admin_client.post(
        "/oauth2/token/",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": ENTRA_REDIRECT},
        HTTP_AUTHORIZATION=basic_auth(entra.client_id, "wrong"),
    )

    assert in_body.status_code == 401
    assert in_body.json()["error"] == "invalid_client"
    assert in_basic.status_code == 401
    assert not AccessToken.objects.exists()


def test_the_client_secret_is_stored_only_as_a_hash(entra):
    entra.application.refresh_from_db()

    assert entra.client_secret not in entra.application.client_secret
    assert entra.application.client_secret.startswith(("pbkdf2_", "md5$", "argon2", "bcrypt"))


def test_an_expired_code_is_refused(acme_admin_client, entra):
    AccessToken, _, Grant = _models()
    code = get_code(acme_admin_client, entra)
    Grant.objects.filter(code=code).update(expires=timezone.now() - timedelta(seconds=1))

    response = exchange(acme_admin_client, entra, code)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_a_code_used_twice_is_refused(acme_admin_client, entra):
    AccessToken, _, _ = _models()
    code = get_code(acme_admin_client, entra)
    assert exchange(acme_admin_client, entra, code).status_code == 200

    again = exchange(acme_admin_client, entra, code)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 1


def test_a_refresh_rotates_the_refresh_token_and_keeps_the_company(acme_admin_client, entra, entra_tokens, company):
    AccessToken, RefreshToken, _ = _models()

    response = refresh(acme_admin_client, entra, entra_tokens["refresh_token"])

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["refresh_token"] != entra_tokens["refresh_token"]
    assert body["access_token"] != entra_tokens["access_token"]
    assert AccessToken.objects.get().company == company
    assert RefreshToken.objects.filter(revoked__isnull=True).get().company == company
    # The rotated-out access token is gone at once.
    old_checksum = hashlib.sha256(entra_tokens["access_token"].encode()).hexdigest()
    assert not AccessToken.objects.filter(token_checksum=old_checksum).exists()


def test_the_previous_refresh_token_works_during_the_grace_period(acme_admin_client, entra, entra_tokens):
    first = refresh(acme_admin_client, entra, entra_tokens["refresh_token"]).json()

    # Entra lost the response and retries with the previous refresh token.
    retry = refresh(acme_admin_client, entra, entra_tokens["refresh_token"])

    assert retry.status_code == 200, retry.content
    assert retry.json()["access_token"] == first["access_token"]
    assert retry.json()["refresh_token"] == first["refresh_token"]
    # And the chain goes on from the token it was handed.
    assert refresh(acme_admin_client, entra, first["refresh_token"]).status_code == 200


def test_the_previous_refresh_token_is_refused_after_the_grace_period(acme_admin_client, entra, entra_tokens):
    _, RefreshToken, _ = _models()
    assert refresh(acme_admin_client, entra, entra_tokens["refresh_token"]).status_code == 200
    RefreshToken.objects.filter(revoked__isnull=False).update(revoked=timezone.now() - timedelta(seconds=121))

    response = refresh(acme_admin_client, entra, entra_tokens["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_refresh_with_a_wrong_secret_is_refused(acme_admin_client, entra, entra_tokens):
    _, RefreshToken, _ = _models()

    response = refresh(acme_admin_client, entra, entra_tokens["refresh_token"], client_secret="wrong")

    assert response.status_code == 401
    assert RefreshToken.objects.get().revoked is None


def test_revoking_the_access_token_revokes_its_refresh_token(acme_admin_client, entra, entra_tokens):
    AccessToken, RefreshToken, _ = _models()

    response = acme_admin_client.post(
        "/oauth2/revoke_token/",
        {"token": entra_tokens["access_token"], "client_id": entra.client_id, "client_secret": entra.client_secret},
    )

    assert response.status_code == 200
    assert not AccessToken.objects.exists()
    assert RefreshToken.objects.get().revoked is not None
    assert refresh(acme_admin_client, entra, entra_tokens["refresh_token"]).status_code == 400


def test_revoking_the_refresh_token_revokes_its_access_token(acme_admin_client, entra, entra_tokens):
    AccessToken, _, _ = _models()

    response = acme_admin_client.post(
        "/oauth2/revoke_token/",
        {"token": entra_tokens["refresh_token"], "token_type_hint": "refresh_token"},
        HTTP_AUTHORIZATION=basic_auth(entra.client_id, entra.client_secret),
    )

    assert response.status_code == 200
    assert not AccessToken.objects.exists()
    assert refresh(acme_admin_client, entra, entra_tokens["refresh_token"]).status_code == 400


def test_revocation_needs_the_client_credentials(acme_admin_client, entra, entra_tokens):
    AccessToken, _, _ = _models()

    response = acme_admin_client.post("/oauth2/revoke_token/", {"token": entra_tokens["access_token"]})

    assert response.status_code == 401
    assert AccessToken.objects.count() == 1


def test_scopes_entra_may_send_that_the_portal_does_not_know_are_ignored(acme_admin_client, entra):
    query = redirect_query(consent(acme_admin_client, entra, scope="offline_access openid"))

    body = exchange(acme_admin_client, entra, query["code"]).json()

    assert set(body["scope"].split()) == {"scim:read", "scim:write", "scim:delete"}


def test_a_client_may_ask_for_fewer_scopes(acme_admin_client, entra):
    code = get_code(acme_admin_client, entra, scope="scim:read")

    body = exchange(acme_admin_client, entra, code).json()

    assert body["scope"] == "scim:read"


def test_the_consent_page_shows_even_with_approval_prompt_auto(acme_admin_client, entra, entra_tokens):
    response = acme_admin_client.get("/oauth2/authorize/", authorize_params(entra, approval_prompt="auto"))

    assert response.status_code == 200
    assert "Authorize App" in response.content.decode()


def test_the_other_companys_admin_gets_a_token_of_their_own_company(client, entra, other_admin, other_company):
    AccessToken, _, _ = _models()
    client.force_login(other_admin)

    assert exchange(client, entra, get_code(client, entra)).status_code == 200

    assert AccessToken.objects.get().company == other_company


def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(client, entra):
    response = client.get("/oauth2/authorize/", authorize_params(entra))

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/accounts/login/?next=")
    assert "next=/oauth2/authorize/%3Fresponse_type%3Dcode" in location
    assert "entra-state-42" in location


@pytest.mark.parametrize("persona", ["traveller", "staff_user"])
def test_only_a_company_admin_can_authorize(client, entra, persona, request):
    _, _, Grant = _models()
    client.force_login(request.getfixturevalue(persona))

    page = client.get("/oauth2/authorize/", authorize_params(entra))
    post = client.post(
        "/oauth2/authorize/",
        authorize_params(entra, scope="scim:read scim:write scim:delete", allow="Authorize"),
    )

    assert page.status_code == 403
    assert "Only a company admin can authorize" in page.content.decode()
    assert post.status_code == 403
    assert not Grant.objects.exists()


def test_signing_in_as_someone_else_leads_back_to_the_authorization_request(client, entra, traveller, acme_admin):
    from tests.conftest import PASSWORD

    client.force_login(traveller)
    page = client.get("/oauth2/authorize/", authorize_params(entra))
    next_url = page.context["request"].get_full_path()
    assert f'name="next" value="{escape(next_url)}"' in page.content.decode()

    signed_out = client.post("/accounts/logout/", {"next": next_url})
    assert signed_out["Location"] == next_url
    to_sign_in = client.get(signed_out["Location"])
    assert to_sign_in["Location"].startswith("/accounts/login/?next=")
    signed_in = client.post(to_sign_in["Location"], {"username": acme_admin.username, "password": PASSWORD})

    assert signed_in["Location"] == next_url
    assert "Authorize App" in client.get(next_url).content.decode()


def test_the_authorize_endpoint_refuses_other_methods(acme_admin_client, entra):
    response = acme_admin_client.put("/oauth2/authorize/", authorize_params(entra))

    assert response.status_code == 405


def test_the_token_endpoint_refuses_get(client, entra):
    assert client.get("/oauth2/token/").status_code == 405


def test_an_unsupported_grant_type_is_refused(client, entra):
    response = client.post(
        "/oauth2/token/",
        {"grant_type": "client_credentials", "client_id": entra.client_id, "client_secret": entra.client_secret},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_a_code_of_a_person_without_a_company_never_makes_a_token(acme_admin_client, entra, acme_admin, staff_user):
    AccessToken, _, Grant = _models()
    code = get_code(acme_admin_client, entra)
    # Support staff can't reach consent; a code in their name (made in the database by
    # hand) must still not yield a token that belongs to nobody.
    Grant.objects.filter(code=code).update(user=staff_user)

    response = exchange(acme_admin_client, entra, code)

    assert response.status_code == 400
    assert not AccessToken.objects.exists()
