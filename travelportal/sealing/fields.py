"""A text column that holds ciphertext in the database and the plain value in Python."""

from __future__ import annotations

from django.db import models

from travelportal.sealing.keys import seal, unseal


class EncryptedTextField(models.TextField):
    """Stored sealed (``travelportal.sealing.keys``), read back plain.

    Each save encrypts afresh (Fernet has a random IV), so the column can't be searched or
    compared in SQL: filter on other fields, never on this one (only ``""`` and NULL are
    stored as they are, so "is it empty" still works and constraints on it still hold).
    ``max_length`` is checked by forms and callers, not by the database, whose ciphertext
    is longer than the value."""

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return unseal(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return seal(value)
