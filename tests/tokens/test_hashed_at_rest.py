"""OAuth tokens are stored only as their SHA-256: a database dump holds no working
credential, yet rotation, the refresh grace period and revocation work as before
(issue 10, part 4)."""

from __future__ import annotations

import hashlib
import importlib
import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from tests.tokens.conftest import basic_auth, exchange, get_code, refresh

pytestmark = pytest.mark.django_db


def checksum(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _models():
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model

    return get_access_token_model(), get_refresh_token_model()


def database_dump() -> str:
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


def rotate(client, entra, tokens) -> dict:
    response = refresh(client, entra, tokens["refresh_token"])
    assert response.status_code == 200, response.content
    return response.json()


def test_the_rows_hold_only_the_checksum_of_the_issued_tokens(entra_tokens):
    AccessToken, RefreshToken = _models()

    access = AccessToken.objects.get()
    refresh_row = RefreshToken.objects.get()

    assert access.token == "" != entra_tokens["access_token"]
    assert access.token_checksum == checksum(entra_tokens["access_token"])
    assert refresh_row.token == "" != entra_tokens["refresh_token"]
    assert refresh_row.token_checksum == checksum(entra_tokens["refresh_token"])


def test_a_database_dump_holds_none_of_the_tokens_issued(acme_admin_client, entra, entra_tokens):
    rotated = rotate(acme_admin_client, entra, entra_tokens)

    dump = database_dump()

    assert '"model": "tokens.refreshtoken"' in dump
    for tokens in (entra_tokens, rotated):
        assert tokens["access_token"] not in dump
        assert tokens["refresh_token"] not in dump
    assert entra.client_secret not in dump


def test_the_stored_values_do_not_work_as_tokens(client, acme_admin_client, entra, entra_tokens):
    AccessToken, RefreshToken = _models()
    stored_access = AccessToken.objects.get().token_checksum
    stored_refresh = RefreshToken.objects.get().token_checksum

    assert client.get("/scim/v2/Users", **bearer(stored_access)).status_code == 401
    assert client.get("/scim/v2/Users", **bearer(entra_tokens["access_token"])).status_code == 200
    response = refresh(acme_admin_client, entra, stored_refresh)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert RefreshToken.objects.get().revoked is None


def test_a_rotated_pair_is_hashed_too_and_works(client, acme_admin_client, entra, entra_tokens):
    AccessToken, RefreshToken = _models()

    rotated = rotate(acme_admin_client, entra, entra_tokens)

    assert set(AccessToken.objects.values_list("token", flat=True)) == {""}
    assert set(RefreshToken.objects.values_list("token", flat=True)) == {""}
    assert client.get("/scim/v2/Users", **bearer(rotated["access_token"])).status_code == 200


def test_the_previous_refresh_token_keeps_its_hash_and_a_seal_only_it_opens(acme_admin_client, entra, entra_tokens):
    from travelportal.tokens.sealing import open_successor

    _, RefreshToken = _models()
    rotated = rotate(acme_admin_client, entra, entra_tokens)

    previous = RefreshToken.objects.get(token_checksum=checksum(entra_tokens["refresh_token"]))

    assert previous.revoked is not None
    assert rotated["access_token"] not in previous.sealed_successor
    assert open_successor(entra_tokens["refresh_token"], previous.sealed_successor) == (
        rotated["access_token"],
        rotated["refresh_token"],
    )
    assert open_successor(previous.token_checksum, previous.sealed_successor) is None
    assert open_successor(rotated["refresh_token"], previous.sealed_successor) is None


def test_a_retry_within_the_grace_period_gets_the_same_working_pair(client, acme_admin_client, entra, entra_tokens):
    first = rotate(acme_admin_client, entra, entra_tokens)
    _, RefreshToken = _models()
    # Late in the grace period (120 s), but inside it.
    RefreshToken.objects.filter(revoked__isnull=False).update(revoked=timezone.now() - timedelta(seconds=110))

    retry = rotate(acme_admin_client, entra, entra_tokens)

    assert (retry["access_token"], retry["refresh_token"]) == (first["access_token"], first["refresh_token"])
    assert client.get("/scim/v2/Users", **bearer(retry["access_token"])).status_code == 200
    assert rotate(acme_admin_client, entra, retry)["access_token"] != first["access_token"]


def test_the_previous_refresh_token_is_refused_once_its_grace_period_is_over(acme_admin_client, entra, entra_tokens):
    rotate(acme_admin_client, entra, entra_tokens)
    _, RefreshToken = _models()
    RefreshToken.objects.filter(revoked__isnull=False).update(revoked=timezone.now() - timedelta(seconds=120))

    response = refresh(acme_admin_client, entra, entra_tokens["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_rotated_token_without_a_seal_is_refused_not_a_server_error(acme_admin_client, entra, entra_tokens):
    AccessToken, RefreshToken = _models()
    rotate(acme_admin_client, entra, entra_tokens)
    RefreshToken.objects.update(sealed_successor="")

    response = refresh(acme_admin_client, entra, entra_tokens["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 1


def test_a_retry_after_the_successor_refresh_token_was_removed_gets_a_working_new_one(
    client, acme_admin_client, entra, entra_tokens
):
    _, RefreshToken = _models()
    first = rotate(acme_admin_client, entra, entra_tokens)
    RefreshToken.objects.filter(token_checksum=checksum(first["refresh_token"])).delete()

    retry = rotate(acme_admin_client, entra, entra_tokens)

    assert retry["access_token"] == first["access_token"]
    assert retry["refresh_token"] != first["refresh_token"]
    assert rotate(acme_admin_client, entra, retry)["access_token"]


def test_revoking_the_current_refresh_token_ends_the_grace_of_the_previous(acme_admin_client, entra, entra_tokens):
    rotated = rotate(acme_admin_client, entra, entra_tokens)

    response = acme_admin_client.post(
        "/oauth2/revoke_token/",
        {"token": rotated["refresh_token"], "token_type_hint": "refresh_token"},
        HTTP_AUTHORIZATION=basic_auth(entra.client_id, entra.client_secret),
    )

    assert response.status_code == 200
    assert refresh(acme_admin_client, entra, rotated["refresh_token"]).status_code == 400
    assert refresh(acme_admin_client, entra, entra_tokens["refresh_token"]).status_code == 400


def test_revoking_by_the_stored_value_revokes_nothing(client, acme_admin_client, entra, entra_tokens):
    AccessToken, RefreshToken = _models()

    response = acme_admin_client.post(
        "/oauth2/revoke_token/",
        {"token": AccessToken.objects.get().token_checksum},
        HTTP_AUTHORIZATION=basic_auth(entra.client_id, entra.client_secret),
    )

    assert response.status_code == 200
    assert RefreshToken.objects.get().revoked is None
    assert client.get("/scim/v2/Users", **bearer(entra_tokens["access_token"])).status_code == 200


def test_revoking_the_issued_access_token_works_with_hashes(client, acme_admin_client, entra, entra_tokens):
    AccessToken, RefreshToken = _models()

    response = acme_admin_client.post(
        "/oauth2/revoke_token/",
        {"token": entra_tokens["access_token"]},
        HTTP_AUTHORIZATION=basic_auth(entra.client_id, entra.client_secret),
    )

    assert response.status_code == 200
    assert not AccessToken.objects.exists()
    assert RefreshToken.objects.get().revoked is not None
    assert client.get("/scim/v2/Users", **bearer(entra_tokens["access_token"])).status_code == 401


def test_secret_tokens_stay_hashed_and_working(client, company):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    _, raw = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Okta")

    row = Credential.objects.get()
    assert row.token_hash == checksum(raw)
    assert raw not in database_dump()
    assert client.get("/scim/v2/Users", **bearer(raw)).status_code == 200
    assert client.get("/scim/v2/Users", **bearer(row.token_hash)).status_code == 401


# --- The data migration (tokens 0006) ----------------------------------------------


def hash_stored_tokens():
    migration = importlib.import_module("travelportal.tokens.migrations.0006_hash_stored_oauth_tokens")
    migration.hash_stored_tokens(apps, None)


@pytest.fixture
def plain_tokens(acme_admin_client, entra, settings, fresh_oauth_server):
    """Tokens as the portal stored them before: in plain text, a rotated one unsealed."""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": False}
    first = exchange(acme_admin_client, entra, get_code(acme_admin_client, entra)).json()
    rotated = rotate(acme_admin_client, entra, first)
    other = exchange(acme_admin_client, entra, get_code(acme_admin_client, entra)).json()
    _, RefreshToken = _models()
    RefreshToken.objects.update(sealed_successor="")
    assert rotated["access_token"] in database_dump()
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True}
    return first, rotated, other


def test_the_migration_leaves_no_plain_token_and_every_token_working(client, acme_admin_client, entra, plain_tokens):
    AccessToken, RefreshToken = _models()
    _, rotated, other = plain_tokens

    hash_stored_tokens()

    dump = database_dump()
    for tokens in plain_tokens:
        assert tokens["access_token"] not in dump
        assert tokens["refresh_token"] not in dump
    assert set(AccessToken.objects.values_list("token", flat=True)) == {""}
    assert set(RefreshToken.objects.values_list("token", flat=True)) == {""}
    assert client.get("/scim/v2/Users", **bearer(rotated["access_token"])).status_code == 200
    assert client.get("/scim/v2/Users", **bearer(other["access_token"])).status_code == 200
    assert rotate(acme_admin_client, entra, other)["access_token"]


def test_the_migration_seals_a_rotation_still_in_its_grace_period(acme_admin_client, entra, plain_tokens):
    first, rotated, _ = plain_tokens

    hash_stored_tokens()
    retry = rotate(acme_admin_client, entra, first)

    assert (retry["access_token"], retry["refresh_token"]) == (rotated["access_token"], rotated["refresh_token"])


def test_the_migration_can_run_again(plain_tokens):
    AccessToken, _ = _models()
    hash_stored_tokens()
    checksums = set(AccessToken.objects.values_list("token_checksum", flat=True))

    hash_stored_tokens()

    assert set(AccessToken.objects.values_list("token_checksum", flat=True)) == checksums
    assert checksums == {checksum(tokens["access_token"]) for tokens in plain_tokens[1:]}


@pytest.fixture
def validated_before_the_concurrent_rotation(monkeypatch):
    """As if this request's token was checked while another refresh with the same token
    was rotating it: validation saw no seal, the rotation committed one meanwhile."""
    from travelportal.tokens.oauth2_validators import CompanyOAuth2Validator

    validate = CompanyOAuth2Validator.validate_refresh_token

    def validate_then_forget_the_seal(self, refresh_token, client, request, *args, **kwargs):
        valid = validate(self, refresh_token, client, request, *args, **kwargs)
        request.sealed_successor = None
        return valid

    monkeypatch.setattr(CompanyOAuth2Validator, "validate_refresh_token", validate_then_forget_the_seal)


def test_a_retry_racing_the_rotation_gets_the_pair_from_the_committed_seal(
    acme_admin_client, entra, entra_tokens, validated_before_the_concurrent_rotation
):
    first = rotate(acme_admin_client, entra, entra_tokens)

    retry = rotate(acme_admin_client, entra, entra_tokens)

    assert (retry["access_token"], retry["refresh_token"]) == (first["access_token"], first["refresh_token"])


def test_a_retry_racing_a_rotation_without_a_seal_is_refused_and_writes_nothing(
    acme_admin_client, entra, entra_tokens, validated_before_the_concurrent_rotation
):
    from travelportal.tokens import oauth2_validators, sealing

    AccessToken, RefreshToken = _models()
    rotate(acme_admin_client, entra, entra_tokens)
    before = (AccessToken.objects.count(), RefreshToken.objects.count())
    opened = []

    def open_only_once(previous, sealed):
        # Opened when validated; by the time the toolkit locked the row, nothing to open.
        opened.append(previous)
        return sealing.open_successor(previous, sealed) if len(opened) == 1 else None

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(oauth2_validators, "open_successor", open_only_once)
        response = refresh(acme_admin_client, entra, entra_tokens["refresh_token"])

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json()["error"] == "invalid_grant"
    assert (AccessToken.objects.count(), RefreshToken.objects.count()) == before


def test_deploy_checks_no_longer_warn_of_plain_text_tokens(settings):
    from oauth2_provider.checks import validate_bcp_configuration

    found = {message.id for message in validate_bcp_configuration(None)}

    assert "oauth2_provider.W006" not in found
    # The toolkit's objection to a grace period with hashed storage is answered by the seal.
    assert "oauth2_provider.E001" in found
    assert "oauth2_provider.E001" in settings.SILENCED_SYSTEM_CHECKS
