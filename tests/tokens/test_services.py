"""The services Company Settings calls: the Entra connection and the secret tokens list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.tokens.conftest import exchange, get_code, refresh

pytestmark = pytest.mark.django_db


def test_a_company_without_authorize_has_no_connection(company, entra):
    from travelportal.tokens.services import entra_connection

    assert entra_connection(company) is None


def test_the_connection_says_who_authorized_it_and_when(acme_admin_client, entra, entra_tokens, acme_admin, company):
    from oauth2_provider.models import get_refresh_token_model

    from travelportal.tokens.services import entra_connection, find_bearer_credential

    first = get_refresh_token_model().objects.get()
    find_bearer_credential(entra_tokens["access_token"])
    refresh(acme_admin_client, entra, entra_tokens["refresh_token"])

    connection_ = entra_connection(company)

    assert connection_.authorized_by == acme_admin
    # The Authorize click, not the latest rotation.
    assert connection_.authorized_at == first.authorized_at
    assert abs(first.authorized_at - first.created) < timedelta(seconds=5)
    assert connection_.authorized_at < get_refresh_token_model().objects.get(revoked__isnull=True).created
    assert connection_.access_token_expires_at > timezone.now()


def test_the_connection_of_one_company_is_not_another_companys(entra_tokens, other_company):
    from travelportal.tokens.services import entra_connection

    assert entra_connection(other_company) is None


def test_disconnect_revokes_every_token_of_the_company_and_only_of_it(
    acme_admin_client, client, entra, entra_tokens, company, other_admin, other_company
):
    from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

    from travelportal.tokens.services import disconnect_entra, entra_connection

    AccessToken, RefreshToken = get_access_token_model(), get_refresh_token_model()
    pending_code = get_code(acme_admin_client, entra)
    acme_admin_client.logout()
    acme_admin_client.force_login(other_admin)
    other_tokens = exchange(acme_admin_client, entra, get_code(acme_admin_client, entra)).json()

    revoked = disconnect_entra(company=company)

    assert revoked == 2
    assert entra_connection(company) is None
    assert not AccessToken.objects.filter(company=company).exists()
    assert not RefreshToken.objects.filter(company=company, revoked__isnull=True).exists()
    assert not get_grant_model().objects.filter(code=pending_code).exists()
    # Within the grace period too, the revoked refresh token can't bring the connection back.
    assert refresh(client, entra, entra_tokens["refresh_token"]).status_code == 400
    assert exchange(client, entra, pending_code).status_code == 400
    # Globex keeps its connection.
    assert entra_connection(other_company) is not None
    assert refresh(client, entra, other_tokens["refresh_token"]).status_code == 200


def test_disconnect_without_a_connection_does_nothing(company):
    from travelportal.tokens.services import disconnect_entra

    assert disconnect_entra(company=company) == 0


def test_the_secret_tokens_list_shows_live_and_expired_tokens_of_the_company_only(company, other_company, acme_admin):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential, list_company_credentials, revoke_credential

    issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Okta", created_by=acme_admin)
    old, _ = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Old")
    Credential.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    gone, _ = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Gone")
    revoke_credential(credential=gone)
    issue_credential(company=other_company, kind=Credential.Kind.SCIM_TOKEN, name="Globex")

    tokens = list(list_company_credentials(company=company, kind=Credential.Kind.SCIM_TOKEN))

    assert {t.name for t in tokens} == {"Okta", "Old"}
    assert next(t for t in tokens if t.name == "Old").is_usable is False
    assert next(t for t in tokens if t.name == "Okta").created_by == acme_admin


def test_the_secret_tokens_list_takes_one_query_however_long(company, acme_admin):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential, list_company_credentials

    for i in range(20):
        issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name=f"Token {i}", created_by=acme_admin)

    with CaptureQueriesContext(connection) as queries:
        rows = [
            (t.name, t.created_by.username if t.created_by else "", t.last_used_at)
            for t in list_company_credentials(company=company, kind=Credential.Kind.SCIM_TOKEN)
        ]

    assert len(rows) == 20
    assert len(queries) == 1, "\n".join(q["sql"] for q in queries.captured_queries)


def test_revoking_a_secret_token_twice_keeps_the_first_time(company):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential, revoke_credential

    token, _ = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Okta")
    revoke_credential(credential=token)
    first = token.revoked_at

    revoke_credential(credential=token)

    token.refresh_from_db()
    assert token.revoked_at == first


# --- One credential model: the rules issue_credential and find_credential share ------------


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"),
    [
        ("scim_token", {"name": "  "}, "name", "A token needs a name of 1 to 100 characters."),
        ("api_key", {"name": "x" * 101}, "name", "A key needs a name of 1 to 100 characters."),
        ("scim_token", {"scopes": ["users:read"]}, "scopes", "Unknown scopes: users:read"),
        ("api_key", {"scopes": ["scim:write"]}, "scopes", "Unknown scopes: scim:write"),
        ("api_key", {"scopes": []}, "scopes", "Choose at least one scope."),
        ("scim_token", {"expires_at": timezone.now() - timedelta(seconds=1)}, "expires_at", "in the future"),
    ],
)
def test_issuing_refuses_a_bad_name_scope_or_expiry_and_writes_nothing(company, kind, changes, field, message):
    from django.core.exceptions import ValidationError

    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    with pytest.raises(ValidationError) as refusal:
        issue_credential(company=company, kind=kind, **{"name": "Okta", **changes})

    assert message in " ".join(refusal.value.message_dict[field])
    assert not Credential.objects.exists()


def test_each_kind_gets_its_prefix_and_every_scope_of_its_table_by_default(company):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.scopes import API_SCOPES, SCIM_SCOPES
    from travelportal.tokens.services import issue_credential

    token, token_raw = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Okta")
    key, key_raw = issue_credential(company=company, kind=Credential.Kind.API_KEY, name="ERP")

    assert token_raw.startswith("tps_") and token.prefix == token_raw[:10]
    assert key_raw.startswith("tpk_") and key.prefix == key_raw[:10]
    assert (token.scope, key.scope) == (" ".join(SCIM_SCOPES), " ".join(API_SCOPES))


def test_a_credential_is_found_only_as_its_own_kind(company, django_assert_num_queries):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import find_credential, issue_credential

    token, raw = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Okta")

    with django_assert_num_queries(0):
        assert find_credential(raw, kind=Credential.Kind.API_KEY) is None
    assert find_credential(raw, kind=Credential.Kind.SCIM_TOKEN) == token


def test_finding_a_credential_notes_its_use_at_most_once_a_minute(company, django_assert_num_queries):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import find_credential, issue_credential

    _, raw = issue_credential(company=company, kind=Credential.Kind.API_KEY, name="ERP")

    with django_assert_num_queries(2):
        first = find_credential(raw, kind=Credential.Kind.API_KEY)
    with django_assert_num_queries(1):
        find_credential(raw, kind=Credential.Kind.API_KEY)

    assert Credential.objects.get().last_used_at == first.last_used_at
