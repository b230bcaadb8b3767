"""Invoice profiles (TravelPerk's ``/profiles``, read-only) and travel policies
(``/travel_policies``, read and write)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from travelportal.api.idempotency import idempotent
from travelportal.api.pagination import EnvelopePagination
from travelportal.api.serializers import InvoiceProfileSerializer, TravelPolicySerializer
from travelportal.api.views.base import ApiViewSet
from travelportal.companies.catalogue import (
    create_catalogue_entry,
    update_catalogue_entry,
)
from travelportal.companies.models import InvoiceProfile, TravelPolicy


class InvoiceProfileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = InvoiceProfileSerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = InvoiceProfile.objects.none()
    pagination_class = EnvelopePagination.named("profiles")
    lookup_value_regex = r"\d{1,18}"
    change_field = "change_seq"
    required_scopes = {"list": "trips:read", "retrieve": "trips:read"}

    def get_queryset(self):
        return InvoiceProfile.objects.for_company(self.caller.company).order_by("name", "id")


class TravelPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = TravelPolicySerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = TravelPolicy.objects.none()
    pagination_class = EnvelopePagination.named("travel_policies")
    lookup_value_regex = r"\d{1,18}"
    change_field = "change_seq"
    required_scopes = {
        "list": "policies:read",
        "retrieve": "policies:read",
        "create": "policies:write",
        "partial_update": "policies:write",
    }

    def get_queryset(self):
        return TravelPolicy.objects.for_company(self.caller.company).order_by("name", "id")

    @extend_schema(responses={201: TravelPolicySerializer})
    @idempotent
    def create(self, request):
        data = self.valid_data(TravelPolicySerializer)
        archive = data.pop("archive", False)
        policy = create_catalogue_entry(company=self.caller.company, model=TravelPolicy, values=data, archived=archive)
        return Response(TravelPolicySerializer(policy).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk: str):
        policy = self.get_object()
        data = self.valid_data(TravelPolicySerializer, instance=policy, partial=True)
        archive = data.pop("archive", None)
        update_catalogue_entry(entry=policy, changes=data, archived=archive)
        return Response(TravelPolicySerializer(policy).data)
