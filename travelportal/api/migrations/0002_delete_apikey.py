from django.db import migrations


class Migration(migrations.Migration):
    # API keys are tokens.Credential rows from tokens 0008 on, which copied them.
    dependencies = [
        ("api", "0001_api_keys_and_idempotency"),
        ("tokens", "0008_copy_secret_tokens_and_api_keys"),
    ]

    operations = [
        migrations.DeleteModel(name="ApiKey"),
    ]
