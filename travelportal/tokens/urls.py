from __future__ import annotations

from django.urls import path

from travelportal.tokens.views import AuthorizeView, CompanyRevokeTokenView, CompanyTokenView

# The namespace django-oauth-toolkit reverses its own URLs in. These paths are registered
# in Microsoft's gallery entry: do not change them.
app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", AuthorizeView.as_view(), name="authorize"),
    path("token/", CompanyTokenView.as_view(), name="token"),
    path("revoke_token/", CompanyRevokeTokenView.as_view(), name="revoke-token"),
]
