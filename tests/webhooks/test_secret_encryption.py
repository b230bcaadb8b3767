"""Webhook signing secrets are stored encrypted and still sign every delivery, including
those of subscriptions created before they were (issue 21, part 4; webhooks 0002)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from travelportal.sealing.keys import unseal
from travelportal.webhooks.delivery import send_test_event
from travelportal.webhooks.models import Subscription
from travelportal.webhooks.signing import travelperk_signature
from travelportal.webhooks.subscriptions import create_subscription, update_subscription

BEFORE = [("webhooks", "0001_initial_subscriptions_and_deliveries")]
OLD_SECRET = "whsec_c2lnbmVkLWJlZm9yZS10aGUtbWlncmF0aW9uLTEyMzQ1Njc4"


def stored_secret(name: str = "ERP") -> str:
    """The secret column of the subscription named ``name`` as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_subscription WHERE name = %s", [name])
        [(value,)] = cursor.fetchall()
    return value


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def assert_signed_with(received, secret: str) -> None:
    assert received.headers["Tk-webhook-hmac-sha256"] == travelperk_signature(secret=secret, body=received.body)


@pytest.mark.django_db
def test_a_new_subscription_s_secret_is_stored_encrypted_and_signs_its_deliveries(company, receiver):
    subscription = create_subscription(company=company, name="ERP", url=receiver.url, events=["user.provisioned"])

    stored = stored_secret()
    assert subscription.secret not in stored
    assert unseal(stored) == subscription.secret
    send_test_event(subscription=Subscription.objects.get(pk=subscription.pk))
    assert_signed_with(receiver.requests[-1], subscription.secret)


@pytest.mark.django_db
def test_a_changed_secret_is_stored_encrypted_and_signs_from_then_on(company, receiver):
    subscription = create_subscription(company=company, name="ERP", url=receiver.url, events=["user.provisioned"])

    update_subscription(subscription=subscription, secret="chosen-by-the-integrator")

    assert "chosen-by-the-integrator" not in stored_secret()
    send_test_event(subscription=Subscription.objects.get(pk=subscription.pk))
    assert_signed_with(receiver.requests[-1], "chosen-by-the-integrator")


@pytest.mark.django_db(transaction=True)
def test_a_subscription_created_before_the_migration_signs_with_the_same_secret_after_it(company, receiver):
    try:
        old_apps = migrate(BEFORE)
        OldSubscription = old_apps.get_model("webhooks", "Subscription")
        old = OldSubscription.objects.create(
            company_id=company.pk, name="ERP", url=receiver.url, secret=OLD_SECRET, events=["user.provisioned"]
        )
        assert stored_secret() == OLD_SECRET

        migrate(latest())

        assert OLD_SECRET not in stored_secret()
        subscription = Subscription.objects.get(pk=old.pk)
        assert subscription.secret == OLD_SECRET
        send_test_event(subscription=subscription)
        assert_signed_with(receiver.requests[-1], OLD_SECRET)

        # Reversed, the secret is plain again, as the old code reads it.
        migrate(BEFORE)
        assert stored_secret() == OLD_SECRET
    finally:
        migrate(latest())
