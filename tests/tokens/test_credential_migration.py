"""tokens 0007-0009 and api 0002: SCIM tokens and API keys issued before the two models
became one keep working after it, and the audit trail keeps pointing at them."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from travelportal.tokens.models import Credential, hash_token
from travelportal.tokens.services import issue_credential

BEFORE = [("tokens", "0006_hash_stored_oauth_tokens"), ("api", "0001_api_keys_and_idempotency")]
# What the old rows below are written with besides the two apps' own models.
ALSO = [("audit", "0002_audit_entry_company_outlives_it"), ("auth", "0012_alter_user_first_name_max_length")]
SCIM_RAW = "tps_issued-before-the-migration"
API_RAW = "tpk_issued-before-the-migration"

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return executor.loader.project_state([*targets, *ALSO]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before():
    """The database as it was before tokens 0007, moved forward again afterwards whatever
    the test did, so the tests after it find the current schema."""
    try:
        yield migrate(BEFORE)
    finally:
        migrate(latest())


def _old_rows(apps) -> SimpleNamespace:
    """A company with a SCIM token its admin created and an API key, in the old tables."""
    Company = apps.get_model("companies", "Company")
    User = apps.get_model("companies", "User")
    SecretToken = apps.get_model("tokens", "SecretToken")
    ApiKey = apps.get_model("api", "ApiKey")
    company = Company.objects.create(name="Acme", slug="acme", scim_enabled=True)
    admin = User.objects.create(username="alice@acme.example", company=company)
    created = timezone.now() - dt.timedelta(days=30)
    token = SecretToken.objects.create(
        company=company,
        name="Okta",
        token_hash=hash_token(SCIM_RAW),
        prefix=SCIM_RAW[:10],
        scope="scim:read scim:write",
        created_by=admin,
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    key = ApiKey.objects.create(
        company=company,
        name="ERP",
        key_hash=hash_token(API_RAW),
        prefix=API_RAW[:10],
        scope="users:read trips:read",
    )
    # auto_now_add set them to now.
    SecretToken.objects.filter(pk=token.pk).update(created_at=created)
    ApiKey.objects.filter(pk=key.pk).update(created_at=created)
    return SimpleNamespace(company=company, admin=admin, token=token, key=key, created=created)


def test_a_scim_token_and_an_api_key_issued_before_authenticate_after(before):
    _old_rows(before)

    migrate(latest())

    client = Client()
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {SCIM_RAW}").status_code == 200
    assert client.get("/api/users", HTTP_AUTHORIZATION=f"ApiKey {API_RAW}").status_code == 200
    # Each only where it was accepted before, with its own scopes.
    assert client.get("/api/users", HTTP_AUTHORIZATION=f"ApiKey {SCIM_RAW}").status_code == 401
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {API_RAW}").status_code == 401
    assert client.delete("/scim/v2/Users/1", HTTP_AUTHORIZATION=f"Bearer {SCIM_RAW}").status_code == 403
    assert client.get("/api/cost_centers", HTTP_AUTHORIZATION=f"ApiKey {API_RAW}").status_code == 403


def test_the_rows_keep_their_values_and_ids_stay_unique(before):
    old = _old_rows(before)

    migrate(latest())

    token = Credential.objects.get(kind=Credential.Kind.SCIM_TOKEN)
    key = Credential.objects.get(kind=Credential.Kind.API_KEY)
    assert (token.pk, token.company_id, token.name, token.prefix, token.created_by_id) == (
        old.token.pk,
        old.company.pk,
        "Okta",
        SCIM_RAW[:10],
        old.admin.pk,
    )
    assert (token.scopes, token.created_at, token.expires_at) == (
        {"scim:read", "scim:write"},
        old.created,
        old.token.expires_at,
    )
    assert (key.company_id, key.name, key.prefix, key.created_by_id) == (old.company.pk, "ERP", API_RAW[:10], None)
    assert (key.scopes, key.created_at) == ({"users:read", "trips:read"}, old.created)
    assert key.pk > token.pk
    # The next id comes after the copied ones.
    fresh, raw = issue_credential(company=key.company, kind=Credential.Kind.API_KEY, name="New", scopes=["users:read"])
    assert fresh.pk > key.pk
    assert Client().get("/api/users", HTTP_AUTHORIZATION=f"ApiKey {raw}").status_code == 200


def test_audit_entries_and_permissions_follow_the_rows(before):
    old = _old_rows(before)
    ContentTypes = before.get_model("contenttypes", "ContentType")
    AuditEntry = before.get_model("audit", "AuditEntry")
    Permission = before.get_model("auth", "Permission")
    token_type, _ = ContentTypes.objects.get_or_create(app_label="tokens", model="secrettoken")
    key_type, _ = ContentTypes.objects.get_or_create(app_label="api", model="apikey")
    for content_type, row in ((token_type, old.token), (key_type, old.key)):
        AuditEntry.objects.create(
            content_type=content_type,
            object_pk=str(row.pk),
            object_id=row.pk,
            object_repr=row.name,
            action=0,
            company_id=old.company.pk,
        )
    view_keys, _ = Permission.objects.get_or_create(
        content_type=key_type, codename="view_apikey", defaults={"name": "Can view API key"}
    )
    before.get_model("auth", "Group").objects.create(name="Support").permissions.add(view_keys)

    migrate(latest())

    from django.contrib.auth.models import Group

    from travelportal.audit.models import AuditEntry

    credential_type = ContentType.objects.get_for_model(Credential)
    entries = {
        entry.object_repr: (entry.content_type, entry.object_id, entry.object_pk) for entry in AuditEntry.objects.all()
    }
    token = Credential.objects.get(kind=Credential.Kind.SCIM_TOKEN)
    key = Credential.objects.get(kind=Credential.Kind.API_KEY)
    assert entries == {
        "Okta": (credential_type, token.pk, str(token.pk)),
        "ERP": (credential_type, key.pk, str(key.pk)),
    }
    assert "view_credential" in Group.objects.get(name="Support").permissions.values_list("codename", flat=True)


def test_the_migration_runs_backwards_with_the_rows(before):
    _old_rows(before)
    migrate(latest())

    old = migrate(BEFORE)

    SecretToken, ApiKey = old.get_model("tokens", "SecretToken"), old.get_model("api", "ApiKey")
    assert list(SecretToken.objects.values_list("name", "token_hash")) == [("Okta", hash_token(SCIM_RAW))]
    assert list(ApiKey.objects.values_list("name", "key_hash")) == [("ERP", hash_token(API_RAW))]
