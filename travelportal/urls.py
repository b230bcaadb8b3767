from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("travelportal.accounts.urls")),
    path("sso/saml/", include("travelportal.accounts.saml.urls")),
    path("oauth2/", include("travelportal.tokens.urls")),
    path("scim/v2/", include("scim.urls")),
    path("company/", include("travelportal.companysettings.urls")),
    path("api/", include("travelportal.api.urls")),
    # /health/, /health/live and /metrics (travelportal.operations).
    path("", include("travelportal.operations.urls")),
    path("", include("approvals.urls")),
    # Everyone's home is their trips; anonymous visitors land on sign-in from there.
    path("", RedirectView.as_view(pattern_name="approvals:trip_list"), name="home"),
]

# A database outage met outside a view (by a middleware) answers the 503 page, not a 500.
handler500 = "travelportal.outages.server_error"
