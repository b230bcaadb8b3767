"""Secrets stored encrypted under FIELD_ENCRYPTION_KEYS, and rotating those keys with
``manage.py reencrypt_secrets`` (issue 21, part 4)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from travelportal.sealing.keys import SealError, seal, unseal
from travelportal.webhooks.models import Subscription

KEY_A = "ZbU9YXrxK849FgCx4vIFEnKI-R9WKtk3LCa_Je2w2EU="
KEY_B = "vHkdjbmr2hdq32fITgWVeV-_DUUL1zCKSKYCgMZd_Mo="


def stored_secrets() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_subscription ORDER BY name")
        return [row[0] for row in cursor.fetchall()]


def subscribe(company, name: str, secret: str) -> Subscription:
    return Subscription.objects.create(
        company=company, name=name, url=f"https://{name}.example/hook", secret=secret, events=["user.provisioned"]
    )


def test_a_value_sealed_under_the_old_key_opens_while_that_key_is_listed(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    sealed = seal("whsec_plain")

    settings.FIELD_ENCRYPTION_KEYS = [KEY_A, KEY_B]
    assert unseal(sealed) == "whsec_plain"

    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    with pytest.raises(SealError, match="FIELD_ENCRYPTION_KEYS"):
        unseal(sealed)


@pytest.mark.django_db
def test_the_column_holds_ciphertext_and_the_model_the_plain_value(company):
    subscribe(company, "erp", "whsec_plain-secret")

    [stored] = stored_secrets()
    assert "whsec_plain-secret" not in stored
    assert unseal(stored) == "whsec_plain-secret"
    assert Subscription.objects.get().secret == "whsec_plain-secret"


@pytest.mark.django_db
def test_reencrypt_secrets_moves_every_value_to_the_first_key(company, settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    subscribe(company, "erp", "secret-one")
    subscribe(company, "hr", "secret-two")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A, KEY_B]

    out = StringIO()
    call_command("reencrypt_secrets", stdout=out)

    assert "webhooks.Subscription.secret: 2 re-encrypted" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    assert [unseal(stored) for stored in stored_secrets()] == ["secret-one", "secret-two"]
    assert sorted(Subscription.objects.values_list("secret", flat=True)) == ["secret-one", "secret-two"]


@pytest.mark.django_db
def test_reencrypt_secrets_run_again_rewrites_nothing(company, settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    subscribe(company, "erp", "secret-one")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A, KEY_B]
    call_command("reencrypt_secrets", stdout=StringIO())
    before = stored_secrets()

    out = StringIO()
    call_command("reencrypt_secrets", stdout=out)

    assert stored_secrets() == before
    assert out.getvalue().endswith("0 value(s) re-encrypted under the first key.\n")


@pytest.mark.django_db
def test_reencrypt_secrets_refuses_a_value_no_key_opens_and_rewrites_nothing_of_it(company, settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    subscribe(company, "erp", "secret-one")
    before = stored_secrets()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]

    with pytest.raises(SealError):
        call_command("reencrypt_secrets", stdout=StringIO())

    assert stored_secrets() == before


def test_reencrypt_secrets_is_an_audited_command():
    from travelportal.audit.commands import AuditedCommand
    from travelportal.sealing.management.commands.reencrypt_secrets import Command

    assert issubclass(Command, AuditedCommand)
