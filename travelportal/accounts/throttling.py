"""How django-axes identifies the person a failed sign-in was for."""

from __future__ import annotations

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render


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


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The page django-axes shows instead of signing in while a lockout lasts (429)."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": minutes,
    }
    return render(request, "accounts/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
