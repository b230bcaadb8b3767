"""SP private keys are stored encrypted and still sign AuthnRequests, including keys made
before they were (issue 21, part 4; accounts 0004)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.accounts.saml.conftest import configure, start
from tests.accounts.saml.idp import authn_request_query
from travelportal.accounts.models import SsoConfiguration
from travelportal.accounts.saml.keys import generate_key_pair
from travelportal.accounts.saml.services import rotate_sp_certificate
from travelportal.sealing.keys import unseal

BEFORE = [("accounts", "0003_saml_browser_binding_and_name_id_attribute")]
ARMOUR = "-----BEGIN PRIVATE KEY-----"


def stored_key(company) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sp_private_key FROM accounts_ssoconfiguration WHERE company_id = %s", [company.pk])
        [(value,)] = cursor.fetchall()
    return value


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def assert_requests_are_signed(client, idp) -> None:
    started = start(client)
    assert started.status_code == 302, started.content
    # The test identity provider checks the redirect binding's signature against the
    # certificate of the SP metadata (Bindings §3.4.4.1) and raises when it is wrong.
    assert idp.read_authn_request(authn_request_query(started["Location"])).id


@pytest.mark.django_db
def test_the_sp_private_key_is_stored_encrypted_and_signs_requests(client, company, idp):
    configuration = configure(company, idp)

    stored = stored_key(company)
    assert ARMOUR not in stored
    assert configuration.sp_private_key.startswith(ARMOUR)
    assert unseal(stored) == configuration.sp_private_key
    assert_requests_are_signed(client, idp)


@pytest.mark.django_db
def test_a_rotated_key_is_stored_encrypted(company, idp):
    configuration = configure(company, idp)

    rotate_sp_certificate(configuration=configuration)

    assert ARMOUR not in stored_key(company)
    assert SsoConfiguration.objects.get(company=company).sp_private_key == configuration.sp_private_key


@pytest.mark.django_db(transaction=True)
def test_a_key_made_before_the_migration_still_signs_after_it(client, company, idp):
    pair = generate_key_pair(common_name="acme travel portal SSO", now=timezone.now())
    try:
        old_apps = migrate(BEFORE)
        old_apps.get_model("accounts", "SsoConfiguration").objects.create(
            company_id=company.pk,
            sp_private_key=pair.private_key_pem,
            sp_certificate=pair.certificate_pem,
            sp_certificate_expires_at=pair.not_valid_after,
        )
        assert stored_key(company) == pair.private_key_pem

        migrate(latest())

        assert ARMOUR not in stored_key(company)
        configuration = configure(company, idp)
        assert (configuration.sp_private_key, configuration.sp_certificate) == (
            pair.private_key_pem,
            pair.certificate_pem,
        )
        assert_requests_are_signed(client, idp)

        migrate(BEFORE)
        assert stored_key(company) == pair.private_key_pem
    finally:
        migrate(latest())
