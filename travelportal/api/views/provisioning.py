"""The provisioning log (``/provisioning_events``), filtered like Company Settings'
activity page (``travelportal.provisioning.activity.filter_log_entries``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from travelportal.api.pagination import EnvelopePagination
from travelportal.api.serializers import ProvisioningEventSerializer, ProvisioningFilterSerializer
from travelportal.api.views.base import ApiViewSet
from travelportal.provisioning.activity import filter_log_entries
from travelportal.provisioning.models import ProvisioningLogEntry


@extend_schema_view(list=extend_schema(parameters=[ProvisioningFilterSerializer]))
class ProvisioningEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ProvisioningEventSerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = ProvisioningLogEntry.objects.none()
    pagination_class = EnvelopePagination.named("provisioning_events")
    lookup_value_regex = r"\d{1,18}"
    # Log rows are written once and never change.
    modified_field = "created_at"
    required_scopes = {"list": "provisioning:read", "retrieve": "provisioning:read"}

    def get_queryset(self):
        if self.action == "list":
            return filter_log_entries(company=self.caller.company, **self.valid_query(ProvisioningFilterSerializer))
        return ProvisioningLogEntry.objects.for_company(self.caller.company)
