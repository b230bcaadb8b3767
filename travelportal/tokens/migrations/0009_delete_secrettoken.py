from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0008_copy_secret_tokens_and_api_keys"),
    ]

    operations = [
        migrations.DeleteModel(name="SecretToken"),
    ]
