from __future__ import annotations

from django.urls import path
from oauth2_provider import views as oauth2_views

from travelportal.tokens.views import AuthorizeView

# The namespace django-oauth-toolkit reverses its own URLs in. These paths are registered
# in Microsoft's gallery entry: do not change them.
app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", AuthorizeView.as_view(), name="authorize"),
    path("token/", oauth2_views.TokenView.as_view(), name="token"),
    path("revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="revoke-token"),
]
