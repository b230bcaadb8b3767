"""The authorization server's endpoints (RFC 6749 §3.1, §3.2; RFC 7009 §2).

The token and revocation endpoints are django-oauth-toolkit's own, behind a check that
answers NUL-bearing input with ``invalid_request``; the authorization endpoint is also
subclassed so that only a company admin can connect an application, and so the consent
page always shows (Entra's admin must see which company they connect).
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.views import AuthorizationView, RevokeTokenView, TokenView

from travelportal.content_policy import allow_form_action, origin

NUL_DESCRIPTION = "A request parameter contains a NUL character."


def carries_nul(request: HttpRequest) -> bool:
    """Whether a parameter, or the client credentials in HTTP Basic, contain NUL.

    django-oauth-toolkit looks client ids and codes up as they come, and PostgreSQL
    refuses NUL in text (a 500); such a request is malformed
    (RFC 6749 §5.2 ``invalid_request``) and is answered so.
    """
    for key, values in (*request.GET.lists(), *request.POST.lists()):
        if "\x00" in key or any("\x00" in value for value in values):
            return True
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return False  # Not our concern: the toolkit answers invalid_client.
    # RFC 6749 §2.3.1: the id and secret are form-encoded inside the Basic credentials.
    return "\x00" in unquote_plus(decoded)


class RefuseNulMixin:
    """Answers a request that ``carries_nul`` before the toolkit touches the database."""

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        if carries_nul(request):
            return self.nul_response(request)
        return super().dispatch(request, *args, **kwargs)

    def nul_response(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse({"error": "invalid_request", "error_description": NUL_DESCRIPTION}, status=400)


# Overriding dispatch drops the toolkit's own decorators on it, so they are repeated:
# clients authenticate with their credentials, not with a session.
@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class CompanyTokenView(RefuseNulMixin, TokenView):
    """RFC 6749 §3.2: django-oauth-toolkit's token endpoint."""


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class CompanyRevokeTokenView(RefuseNulMixin, RevokeTokenView):
    """RFC 7009 §2: django-oauth-toolkit's revocation endpoint."""


class AuthorizeView(RefuseNulMixin, AuthorizationView):
    """RFC 6749 §4.1.1: asks the signed-in company admin to authorize the client."""

    template_name = "oauth2_provider/authorize.html"
    # FormView maps PUT to POST; the authorization endpoint only knows GET and POST.
    http_method_names = ["get", "post", "options"]

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.is_company_admin:
            return render(request, "oauth2_provider/authorize_forbidden.html", {"person": user}, status=403)
        return super().dispatch(request, *args, **kwargs)

    def nul_response(self, request: HttpRequest) -> HttpResponse:
        # Shown in the admin's browser, not read by a client: the error page.
        error = {"error": "invalid_request", "description": NUL_DESCRIPTION}
        return render(request, self.template_name, {"error": error}, status=400)

    def get(self, request, *args, **kwargs):
        if "approval_prompt" in request.GET:
            # approval_prompt=auto would skip the consent page for a person who authorized
            # before; connecting a company must always be a visible, deliberate step.
            request.GET = request.GET.copy()
            del request.GET["approval_prompt"]
        response = super().get(request, *args, **kwargs)
        redirect_uri = (getattr(response, "context_data", None) or {}).get("redirect_uri")
        if redirect_uri:
            # The consent form is answered with a redirect to the client (RFC 6749 §4.1.2),
            # oauthlib has checked it is one of the application's registered redirect URIs.
            allow_form_action(response, origin(redirect_uri))
        return response

    def form_invalid(self, form):
        # The consent form's hidden fields carry the request; missing ones mean a tampered
        # or truncated form, which is answered like any malformed request (RFC 6749 §4.1.2.1).
        error = {
            "error": "invalid_request",
            "description": "The authorization form was incomplete. Start again from the identity provider.",
        }
        return self.render_to_response({"error": error}, status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["company"] = self.request.user.company
        return context
