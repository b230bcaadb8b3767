"""Leave no usable OAuth token in the database: issued before tokens were stored only as
their checksum, existing rows still hold the token itself.

Each row's checksum is (re)computed from its token and the token column blanked, in
batches. First, while the values can still be read, a refresh token rotated within the
grace period gets its successor pair sealed (travelportal.tokens.sealing), so Entra's
retry of a refresh answered just before the deploy still gets the same pair back.

Not reversible in substance: the tokens are gone from the database, which is the point.
Going back leaves the rows hashed, which the previous code still looks up by checksum.
"""

import hashlib
from datetime import timedelta

from django.db import migrations
from django.utils import timezone

BATCH = 1000


def seal_successors_in_grace(apps):
    from oauth2_provider.settings import oauth2_settings

    from travelportal.tokens.sealing import seal_successor

    AccessToken = apps.get_model("tokens", "AccessToken")
    RefreshToken = apps.get_model("tokens", "RefreshToken")
    since = timezone.now() - timedelta(seconds=oauth2_settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS)
    for previous in RefreshToken.objects.filter(revoked__gt=since, sealed_successor="").exclude(token=""):
        access = AccessToken.objects.filter(source_refresh_token_id=previous.pk).exclude(token="").first()
        successor = RefreshToken.objects.filter(access_token_id=access.pk).exclude(token="").first() if access else None
        if successor is None:
            continue
        previous.sealed_successor = seal_successor(
            previous.token, access_token=access.token, refresh_token=successor.token
        )
        previous.save(update_fields=["sealed_successor"])


def blank_stored_tokens(apps, model_name):
    Model = apps.get_model("tokens", model_name)
    while True:
        rows = list(Model.objects.exclude(token="").only("pk", "token", "token_checksum")[:BATCH])
        if not rows:
            return
        for row in rows:
            row.token_checksum = hashlib.sha256(row.token.encode("utf-8")).hexdigest()
            row.token = ""
        Model.objects.bulk_update(rows, ["token", "token_checksum"])


def hash_stored_tokens(apps, schema_editor):
    seal_successors_in_grace(apps)
    blank_stored_tokens(apps, "AccessToken")
    blank_stored_tokens(apps, "RefreshToken")


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0005_refresh_token_sealed_successor"),
    ]

    operations = [
        migrations.RunPython(hash_stored_tokens, migrations.RunPython.noop, elidable=True),
    ]
