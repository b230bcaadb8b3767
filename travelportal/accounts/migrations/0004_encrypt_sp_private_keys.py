"""SAML SP private keys are stored encrypted (travelportal.sealing); existing ones are
encrypted in place, and decrypted again when the migration is reversed."""

from django.db import migrations

import travelportal.sealing.fields
from travelportal.sealing.services import open_column, seal_column


def seal_keys(apps, schema_editor):
    seal_column(apps, "accounts", "SsoConfiguration", "sp_private_key")


def open_keys(apps, schema_editor):
    open_column(apps, "accounts", "SsoConfiguration", "sp_private_key")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_saml_browser_binding_and_name_id_attribute"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ssoconfiguration",
            name="sp_private_key",
            field=travelportal.sealing.fields.EncryptedTextField(editable=False, verbose_name="SP private key"),
        ),
        migrations.RunPython(seal_keys, open_keys),
    ]
