from __future__ import annotations

from django.core.exceptions import ValidationError


def describe(exc: ValidationError) -> str:
    """A service's ValidationError as one line naming each field: ``email: ...; password: ...``."""
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
