from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    # Application and IDToken exist from oauth2_provider 0004 on; its migrations 0011 and
    # 0012 depend on the swapped token models in turn, so this stops at 0010.
    dependencies = [
        ("tokens", "0001_initial"),
        ("oauth2_provider", "0010_application_allowed_origins"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesstoken",
            name="application",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                verbose_name="application",
            ),
        ),
        migrations.AddField(
            model_name="accesstoken",
            name="id_token",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="access_token",
                to=settings.OAUTH2_PROVIDER_ID_TOKEN_MODEL,
                verbose_name="ID token",
            ),
        ),
        migrations.AddField(
            model_name="refreshtoken",
            name="application",
            field=models.ForeignKey(
                default=0,
                on_delete=django.db.models.deletion.CASCADE,
                to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                verbose_name="application",
            ),
            # The table is new and empty when this runs; a default is only needed
            # because the column is NOT NULL.
            preserve_default=False,
        ),
    ]
