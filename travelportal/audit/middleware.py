"""Opens the audit context for Django admin requests (travelportal.audit.context)."""

from __future__ import annotations

from functools import cache

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from travelportal.audit.context import admin_source, audited


@cache
def _admin_prefix() -> str:
    return reverse("admin:index")


class AdminAuditMiddleware:
    """Every request below the admin's URL is audited, with the signed-in support user
    as the actor: the change form, delete pages, actions and any custom admin view.
    Other requests pass through untouched (a string comparison)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # request.path, like reverse(), includes the script prefix of a sub-path deployment.
        if not request.path.startswith(_admin_prefix()):
            return self.get_response(request)
        with audited(admin_source(request)):
            return self.get_response(request)
