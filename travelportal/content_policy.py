"""Response headers that limit what a page may load and use (issue 21).

The Content-Security-Policy itself is django-csp's (``CONTENT_SECURITY_POLICY`` in
settings); this module holds what django-csp does not: the Permissions-Policy header,
and the hash that lets the 503 page keep its one inline ``<style>`` (it is rendered
without a request, so it cannot carry a nonce, and must not depend on static files).
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def style_hashes(html: str) -> list[str]:
    """CSP source expressions (CSP3 §2.3.1 hash-source) of each ``<style>`` block in ``html``."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
        for block in STYLE_BLOCK.findall(html)
    ]


def allow_form_action(response: HttpResponse, *sources: str) -> HttpResponse:
    """Let this one response's forms lead to ``sources`` besides the portal (django-csp's
    ``csp_update``, per response). Browsers check form-action on each redirect that
    answers a form (CSP3 §6.4.1), not only on the form's own action."""
    update = getattr(response, "_csp_update", None) or {}
    update["form-action"] = [*update.get("form-action", []), *sources]
    response._csp_update = update
    return response


def origin(url: str) -> str:
    """The ``scheme://host[:port]`` of ``url``, as a CSP host-source."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class PermissionsPolicyMiddleware:
    """Adds ``PERMISSIONS_POLICY`` (feature -> allowlist) as a Permissions-Policy header
    to every response that does not set its own."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowed)})" for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response
