"""Secrets of remembered answers (a webhook's ``secret``) move out of ``response_body`` into
the encrypted ``response_secrets``; reversed, they move back."""

import json

from django.db import migrations

import travelportal.sealing.fields

# The answer fields the API marks secret (travelportal.api.views.webhooks) when this ran.
SECRET_FIELDS = ("secret",)


def seal_secrets(apps, schema_editor):
    IdempotencyRecord = apps.get_model("api", "IdempotencyRecord")
    for record in IdempotencyRecord.objects.filter(response_body__isnull=False).iterator():
        body = record.response_body
        if not isinstance(body, dict) or not any(name in body for name in SECRET_FIELDS):
            continue
        secrets = {name: body.pop(name) for name in SECRET_FIELDS if name in body}
        IdempotencyRecord.objects.filter(pk=record.pk).update(response_body=body, response_secrets=json.dumps(secrets))


def open_secrets(apps, schema_editor):
    IdempotencyRecord = apps.get_model("api", "IdempotencyRecord")
    for record in IdempotencyRecord.objects.exclude(response_secrets="").iterator():
        body = {**(record.response_body or {}), **json.loads(record.response_secrets)}
        IdempotencyRecord.objects.filter(pk=record.pk).update(response_body=body, response_secrets="")


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_delete_apikey"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_secrets",
            field=travelportal.sealing.fields.EncryptedTextField(blank=True, default=""),
        ),
        migrations.RunPython(seal_secrets, open_secrets),
    ]
