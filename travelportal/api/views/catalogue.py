"""Invoice profiles (TravelPerk's ``/profiles``, read-only) and travel policies
(``/travel_policies``, read and write)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from travelportal.api.idempotency import idempotent
from travelportal.api.pagination import EnvelopePagination
from travelportal.api.serializers import InvoiceProfileSerializer, TravelPolicySerializer
from travelportal.api.views.base import ApiViewSet
from travelportal.companies.models import InvoiceProfile, TravelPolicy
from travelportal.companysettings.services import archive_catalogue_entry, restore_catalogue_entry


class InvoiceProfileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = InvoiceProfileSerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = InvoiceProfile.objects.none()
    pagination_class = EnvelopePagination.named("profiles")
    lookup_value_regex = r"\d{1,18}"
    required_scopes = {"list": "trips:read", "retrieve": "trips:read"}

    def get_queryset(self):
        return InvoiceProfile.objects.for_company(self.caller.company).order_by("name", "id")


class TravelPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = TravelPolicySerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = TravelPolicy.objects.none()
    pagination_class = EnvelopePagination.named("travel_policies")
    lookup_value_regex = r"\d{1,18}"
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
        policy = self._save(TravelPolicy(company=self.caller.company, **data), fields=None)
        if archive:
            archive_catalogue_entry(entry=policy)
        return Response(TravelPolicySerializer(policy).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk: str):
        policy = self.get_object()
        data = self.valid_data(TravelPolicySerializer, instance=policy, partial=True)
        archive = data.pop("archive", None)
        for name, value in data.items():
            setattr(policy, name, value)
        if data:
            policy = self._save(policy, fields=[*data, "updated_at"])
        if archive is True:
            archive_catalogue_entry(entry=policy)
        elif archive is False:
            restore_catalogue_entry(entry=policy)
        return Response(TravelPolicySerializer(policy).data)

    @staticmethod
    def _save(policy: TravelPolicy, *, fields: list[str] | None) -> TravelPolicy:
        try:
            with transaction.atomic():
                policy.save(update_fields=fields)
        except IntegrityError:
            # Two writers saving one name at once: the constraint caught what validation could not.
            raise serializers.ValidationError({"name": "There is already a travel policy with this name."}) from None
        return policy
