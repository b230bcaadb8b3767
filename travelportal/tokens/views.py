"""The authorization server's endpoints (RFC 6749 §3.1, §3.2; RFC 7009 §2).

The token and revocation endpoints are django-oauth-toolkit's own; the authorization
endpoint is subclassed so that only a company admin can connect an application, and so
the consent page always shows (Entra's admin must see which company they connect).
"""

from __future__ import annotations

from django.shortcuts import render
from oauth2_provider.views import AuthorizationView


class AuthorizeView(AuthorizationView):
    """RFC 6749 §4.1.1: asks the signed-in company admin to authorize the client."""

    template_name = "oauth2_provider/authorize.html"
    # FormView maps PUT to POST; the authorization endpoint only knows GET and POST.
    http_method_names = ["get", "post", "options"]

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.is_company_admin:
            return render(request, "oauth2_provider/authorize_forbidden.html", {"person": user}, status=403)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if "approval_prompt" in request.GET:
            # approval_prompt=auto would skip the consent page for a person who authorized
            # before; connecting a company must always be a visible, deliberate step.
            request.GET = request.GET.copy()
            del request.GET["approval_prompt"]
        return super().get(request, *args, **kwargs)

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
