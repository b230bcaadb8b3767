"""The scope matrix: every operation with its scope, with every other scope but its own,
with no credential, a revoked key, an expired key, and another company's key; API keys
and OAuth tokens alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.conftest import Api, assert_problem
from tests.api.operations import OBJECT_ROUTES, OPERATIONS, call
from travelportal.tokens.models import Credential
from travelportal.tokens.scopes import API_SCOPES

pytestmark = pytest.mark.django_db

ids = [op.name for op in OPERATIONS]


@pytest.mark.parametrize("op", OPERATIONS, ids=ids)
def test_an_operation_succeeds_with_its_scope_alone(op, world, api_as, company):
    response = call(api_as(company, [op.scope]), op, world)
    assert response.status_code == op.ok, response.content


@pytest.mark.parametrize("op", OPERATIONS, ids=ids)
def test_an_operation_is_refused_with_every_scope_but_its_own(op, world, api_as, company):
    others = [scope for scope in API_SCOPES if scope != op.scope]
    response = call(api_as(company, others), op, world)
    body = assert_problem(response, 403, required_scope=op.scope)
    assert op.scope in body["detail"]
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("op", OPERATIONS, ids=ids)
def test_an_operation_without_a_credential_is_a_401(op, world, anonymous_api):
    response = call(anonymous_api, op, world)
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'ApiKey realm="api", Bearer realm="api"'


@pytest.mark.parametrize("op", OPERATIONS, ids=ids)
def test_an_operation_with_a_revoked_key_is_a_401(op, world, api, company):
    Credential.objects.filter(company=company).update(revoked_at=timezone.now())
    assert_problem(call(api, op, world), 401, detail="The API key is unknown, revoked or expired.")


@pytest.mark.parametrize("op", OPERATIONS, ids=ids)
def test_an_operation_with_an_expired_key_is_a_401(op, world, api, company):
    Credential.objects.filter(company=company).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_problem(call(api, op, world), 401)


@pytest.mark.parametrize("op", OBJECT_ROUTES, ids=[op.name for op in OBJECT_ROUTES])
def test_another_companys_key_finds_no_object_of_ours(op, world, other_api):
    assert_problem(call(other_api, op, world), 404)


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.envelope], ids=lambda op: op.name)
def test_another_companys_key_lists_none_of_our_rows(op, world, other_api):
    response = call(other_api, op, world)
    assert response.status_code == 200
    assert response.json()[op.envelope] == [] or op.envelope == "users"
    if op.envelope == "users":
        assert {u["user_name"] for u in response.json()["users"]} == set()


def test_a_key_of_unknown_value_is_a_401(anonymous_api, world):
    anonymous_api.authorization = "ApiKey tpk_not-a-key"
    assert_problem(anonymous_api.get("/api/cost_centers"), 401)


def test_a_scim_secret_token_is_no_api_credential(scim_token, world):
    api = Api(Client(), f"Bearer {scim_token}")
    assert_problem(api.get("/api/users"), 401)


# --- OAuth 2.0 bearer tokens ---------------------------------------------------------------


def bearer(company, scopes, *, user=None, expires_in=3600) -> Api:
    from oauth2_provider.models import get_access_token_model

    AccessToken = get_access_token_model()
    raw = f"test-token-{company.slug}-{'-'.join(scopes)}-{expires_in}"
    AccessToken.objects.create(
        company=company,
        user=user,
        token=raw,
        scope=" ".join(scopes),
        expires=timezone.now() + dt.timedelta(seconds=expires_in),
    )
    return Api(Client(), f"Bearer {raw}")


@pytest.mark.parametrize("op", OPERATIONS, ids=ids)
def test_a_bearer_token_needs_the_same_scope_as_a_key(op, world, company):
    assert call(bearer(company, [op.scope]), op, world).status_code == op.ok
    others = [scope for scope in API_SCOPES if scope != op.scope]
    assert_problem(call(bearer(company, others), op, world), 403, required_scope=op.scope)


def test_an_expired_bearer_token_is_a_401(world, company):
    assert_problem(bearer(company, ["users:read"], expires_in=-10).get("/api/users"), 401)


def test_a_scim_oauth_token_reaches_no_api_operation(world, company):
    token = bearer(company, ["scim:read", "scim:write", "scim:delete"])
    assert_problem(token.get("/api/users"), 403, required_scope="users:read")


def test_another_companys_bearer_token_finds_no_object_of_ours(world, other_company):
    token = bearer(other_company, list(API_SCOPES))
    assert_problem(token.get(f"/api/cost_centers/{world['cost_center'].pk}"), 404)


def test_a_bearer_token_notes_when_it_was_last_used(world, company):
    from oauth2_provider.models import get_access_token_model

    bearer(company, ["users:read"]).get("/api/users")
    assert get_access_token_model().objects.get(company=company).last_used_at is not None


def test_a_key_notes_when_it_was_last_used(api, company):
    assert Credential.objects.get(company=company).last_used_at is None
    api.get("/api/users")
    assert Credential.objects.get(company=company).last_used_at is not None
