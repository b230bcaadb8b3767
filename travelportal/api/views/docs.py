"""The API docs pages, under the portal's Content-Security-Policy (issue 21)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.views import SpectacularRedocView


class RedocView(SpectacularRedocView):
    """drf-spectacular's Redoc page (templates/api/redoc.html) with the one policy
    exception Redoc needs, ``REDOC_CONTENT_SECURITY_POLICY`` (its reasons are in settings)."""

    template_name = "api/redoc.html"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response._csp_update = settings.REDOC_CONTENT_SECURITY_POLICY
        return response
