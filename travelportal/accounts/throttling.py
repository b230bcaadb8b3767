"""How django-axes identifies the person a failed sign-in was for."""

from __future__ import annotations

from django.conf import settings


def get_axes_username(request, credentials=None) -> str | None:
    """The attempted userName, lower-cased: userNames compare case-insensitively, so
    failures typed as "ALICE@…" and "alice@…" count toward the same lockout."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field) or credentials.get("username")
    else:
        value = request.POST.get(field) if request is not None else None
    if not isinstance(value, str):
        return None
    return value.strip().lower() or None
