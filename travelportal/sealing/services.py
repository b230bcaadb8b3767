"""Re-encrypting every stored secret under the current key, for key rotation.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keeping the old ones after it),
restart, run ``manage.py reencrypt_secrets``, then drop the old keys. Every column of an
``EncryptedTextField`` of every installed model is covered, so a new encrypted field needs
nothing here.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from travelportal.sealing.fields import EncryptedTextField
from travelportal.sealing.keys import is_sealed_under_first_key, reseal, seal, unseal


def encrypted_columns() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """``(model, field)`` of every encrypted column of the installed models."""
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


# ``stored_values``, ``store`` and ``seal_column``/``open_column`` are used by the data
# migrations that encrypted existing rows, with historical models: keep their signatures.


def stored_values(model: type[models.Model], field: models.Field) -> models.QuerySet:
    """``(pk, ciphertext)`` of the rows with a value: the column as stored, not opened."""
    return (
        model._base_manager.exclude(**{f"{field.attname}__isnull": True})
        .exclude(**{field.attname: ""})
        .annotate(stored=Cast(field.attname, output_field=models.TextField()))
        .values_list("pk", "stored")
    )


def store(model: type[models.Model], field: models.Field, *, pk: object, stored: str) -> None:
    """Write ``stored`` into the column as it is (already ciphertext, or plain on the way back)."""
    model._base_manager.filter(pk=pk).update(**{field.attname: models.Value(stored, output_field=models.TextField())})


def seal_column(apps, app_label: str, model_name: str, field_name: str) -> None:
    """Encrypt a column's plain values in place (the forward step of a data migration)."""
    model = apps.get_model(app_label, model_name)
    field = model._meta.get_field(field_name)
    for pk, stored in list(stored_values(model, field)):
        store(model, field, pk=pk, stored=seal(stored))


def open_column(apps, app_label: str, model_name: str, field_name: str) -> None:
    """Decrypt a column's values in place (the backward step of that migration)."""
    model = apps.get_model(app_label, model_name)
    field = model._meta.get_field(field_name)
    for pk, stored in list(stored_values(model, field)):
        store(model, field, pk=pk, stored=unseal(stored))


def reencrypt_secrets() -> dict[str, int]:
    """Encrypt every stored secret again under the first key of FIELD_ENCRYPTION_KEYS;
    returns, per ``app_label.Model.field``, how many values were rewritten.

    Idempotent: a value already under the first key is left alone, so a second run
    rewrites nothing. Each column's rows are locked while they are rewritten, so a
    secret changed meanwhile is not overwritten with its old value. Raises ``SealError``
    (rewriting nothing more of that column) when no configured key opens a value."""
    rewritten: dict[str, int] = {}
    for model, field in encrypted_columns():
        count = 0
        with transaction.atomic():
            for pk, stored in stored_values(model, field).select_for_update():
                if not is_sealed_under_first_key(stored):
                    store(model, field, pk=pk, stored=reseal(stored))
                    count += 1
        rewritten[f"{model._meta.label}.{field.name}"] = count
    return rewritten
