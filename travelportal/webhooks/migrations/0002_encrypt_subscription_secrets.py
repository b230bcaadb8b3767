"""Webhook signing secrets are stored encrypted (travelportal.sealing); existing ones are
encrypted in place, and decrypted again when the migration is reversed."""

from django.db import migrations

import travelportal.sealing.fields
from travelportal.sealing.services import open_column, seal_column


def seal_secrets(apps, schema_editor):
    seal_column(apps, "webhooks", "Subscription", "secret")


def open_secrets(apps, schema_editor):
    open_column(apps, "webhooks", "Subscription", "secret")


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial_subscriptions_and_deliveries"),
    ]

    operations = [
        migrations.AlterField(
            model_name="subscription",
            name="secret",
            field=travelportal.sealing.fields.EncryptedTextField(max_length=200),
        ),
        migrations.RunPython(seal_secrets, open_secrets),
    ]
