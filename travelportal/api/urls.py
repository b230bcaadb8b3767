"""The API at /api/: TravelPerk's paths (no trailing slash), the schema and its docs."""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from travelportal.api.problems import not_found
from travelportal.api.views.approval_processes import ApprovalProcessViewSet
from travelportal.api.views.catalogue import InvoiceProfileViewSet, TravelPolicyViewSet
from travelportal.api.views.cost_centres import CostCentreViewSet
from travelportal.api.views.docs import RedocView
from travelportal.api.views.people import UserViewSet
from travelportal.api.views.provisioning import ProvisioningEventViewSet
from travelportal.api.views.trips import ApprovalViewSet, TripViewSet
from travelportal.api.views.webhooks import WebhookViewSet

app_name = "api"

router = SimpleRouter(trailing_slash=False)
router.register("cost_centers", CostCentreViewSet, basename="cost-center")
router.register("profiles", InvoiceProfileViewSet, basename="profile")
router.register("users", UserViewSet, basename="user")
router.register("trips", TripViewSet, basename="trip")
router.register("travel_policies", TravelPolicyViewSet, basename="travel-policy")
router.register("approval_processes", ApprovalProcessViewSet, basename="approval-process")
router.register("approvals", ApprovalViewSet, basename="approval")
router.register("provisioning_events", ProvisioningEventViewSet, basename="provisioning-event")
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script from ?script: the page has no inline code.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    path("docs/redoc/", RedocView.as_view(url_name="api:schema"), name="redoc"),
    *router.urls,
    # Anything else below /api/ is a problem+json 404, not the portal's HTML page.
    re_path(r"^.*$", not_found),
]
