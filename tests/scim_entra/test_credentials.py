"""Credentials as Entra uses them: the stored token, scopes, revocation, and people who
existed in the portal before provisioning started."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from .conftest import Entra, assert_scim_error, body, minimal_payload


def _token_row(raw):
    from travelportal.tokens.models import Credential, hash_token

    return Credential.objects.get(token_hash=hash_token(raw))


def test_the_bearer_scheme_is_case_insensitive(client, scim_token):
    response = Entra(client, scim_token, scheme="bearer").find(f'userName eq "{uuid.uuid4()}"')

    assert response.status_code == 200


def test_a_revoked_token_is_a_401(client, company, scim_token):
    from travelportal.tokens.services import revoke_credential

    revoke_credential(credential=_token_row(scim_token))

    response = Entra(client, scim_token).find(f'userName eq "{uuid.uuid4()}"')

    assert_scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_a_401(client, company):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    token, raw = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="old")
    Credential.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

    response = Entra(client, raw).get("Users")

    assert_scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_the_write_scope_is_a_403_and_writes_nothing(client, company, scim_token):
    from travelportal.companies.models import User

    row = _token_row(scim_token)
    row.scope = "scim:read"
    row.save()
    caller = Entra(client, scim_token)

    read = caller.get("Users")
    write = caller.post("Users", minimal_payload("x@contoso.example"))

    assert read.status_code == 200
    assert_scim_error(write, 403)
    assert not User.objects.filter(company=company).exists()


def test_a_person_created_in_the_portal_is_matched_by_the_filter_not_duplicated(entra, acme_admin):
    found = body(entra.find('userName eq "ALICE@acme.example"'))

    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == str(acme_admin.pk)
    response = entra.patch(
        f"Users/{acme_admin.pk}", [{"op": "Replace", "path": 'phoneNumbers[type eq "work"].value', "value": "+1 5"}]
    )
    assert response.status_code in (200, 204), response.content
    acme_admin.refresh_from_db()
    assert acme_admin.work_phone == "+1 5"
    assert acme_admin.role == "admin"


def test_support_staff_never_appear_in_a_company_list(entra, staff_user, ann):
    doc = body(entra.get("Users"))

    assert str(staff_user.pk) not in [r["id"] for r in doc["Resources"]]
    assert body(entra.find('userName eq "support@travelportal.example"'))["totalResults"] == 0
    assert_scim_error(entra.get(f"Users/{staff_user.pk}"), 404)


def test_phone_numbers_of_other_types_are_ignored_not_refused(entra):
    response = entra.post(
        "Users",
        minimal_payload(
            "phones@contoso.example",
            phoneNumbers=[
                {"type": "mobile", "value": "+1 (555) 999-9999"},
                {"type": "work", "value": "+1 (555) 010-0000"},
            ],
            name={"formatted": "Pat Phones", "givenName": "Pat"},
        ),
    )

    assert response.status_code == 201, response.content
    doc = body(response)
    assert next(p for p in doc["phoneNumbers"] if p["type"] == "work")["value"] == "+1 (555) 010-0000"
    from travelportal.companies.models import User

    assert User.objects.get(pk=doc["id"]).work_phone == "+1 (555) 010-0000"


# A fixed unknown id: the test ids must be the same in every process (pytest-xdist).
@pytest.mark.parametrize("path", ["Users", "Users/3f9a2c4e-7b1d-4e8a-9c6f-0d5e4b3a2f10", "ServiceProviderConfig"])
def test_scim_switched_off_for_the_company_is_refused_with_a_scim_body(client, company, scim_token, path):
    company.scim_enabled = False
    company.save()

    response = Entra(client, scim_token).get(path)

    assert response.status_code in (401, 403)
    assert_scim_error(response, response.status_code)


def _oauth_access_token(company, acme_admin, *, expires_in: datetime.timedelta) -> str:
    from oauth2_provider.models import get_access_token_model

    from travelportal.tokens.models import SCIM_SCOPES
    from travelportal.tokens.services import register_entra_application

    application = register_entra_application().application
    raw = f"oauth-{uuid.uuid4().hex}"
    get_access_token_model().objects.create(
        user=acme_admin,
        company=company,
        application=application,
        token=raw,
        expires=timezone.now() + expires_in,
        scope=" ".join(SCIM_SCOPES),
    )
    return raw


def test_test_connection_with_the_oauth_access_token_from_authorize(client, company, acme_admin):
    raw = _oauth_access_token(company, acme_admin, expires_in=datetime.timedelta(hours=1))

    response = Entra(client, raw).find(f'userName eq "{uuid.uuid4()}"')

    assert response.status_code == 200
    assert body(response)["totalResults"] == 0


def test_an_expired_oauth_access_token_is_a_401(client, company, acme_admin):
    raw = _oauth_access_token(company, acme_admin, expires_in=-datetime.timedelta(seconds=1))

    response = Entra(client, raw).find(f'userName eq "{uuid.uuid4()}"')

    assert_scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_oauth_connection_keeps_working_after_the_authorizing_admin_is_disabled(client, company, acme_admin):
    raw = _oauth_access_token(company, acme_admin, expires_in=datetime.timedelta(hours=1))
    acme_admin.is_active = False
    acme_admin.save()

    response = Entra(client, raw).get("Users")

    assert response.status_code == 200
