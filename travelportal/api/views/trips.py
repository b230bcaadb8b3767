"""Trips (TravelPerk's ``/trips``) and approvals (``/approvals``: the pending decisions,
and approving or declining one with the same rules as the trip's page)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from approvals.models import Trip
from approvals.services.trips import DecisionError, NotAnApprover, approve_trip, decline_trip
from travelportal.api.idempotency import idempotent
from travelportal.api.pagination import EnvelopePagination
from travelportal.api.people import deciding_person
from travelportal.api.problems import Conflict
from travelportal.api.serializers import ApprovalSerializer, DecisionSerializer, TripFilterSerializer, TripSerializer
from travelportal.api.trips import pending_decisions
from travelportal.api.views.base import ApiViewSet

UUID_PATTERN = r"[0-9a-fA-F-]{32,36}"


@extend_schema_view(list=extend_schema(parameters=[TripFilterSerializer]))
class TripViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = TripSerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = Trip.objects.none()
    pagination_class = EnvelopePagination.named("trips")
    lookup_value_regex = UUID_PATTERN
    modified_field = "modified_at"
    change_field = "change_seq"
    required_scopes = {"list": "trips:read", "retrieve": "trips:read"}

    def get_queryset(self):
        trips = Trip.objects.for_company(self.caller.company).select_related("traveller")
        return trips.order_by("-created_at", "id")

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        filters = self.valid_query(TripFilterSerializer)
        if "modified_gte" in filters:
            queryset = queryset.filter(modified_at__gte=filters["modified_gte"])
        if "modified_lt" in filters:
            queryset = queryset.filter(modified_at__lt=filters["modified_lt"])
        if "status" in filters:
            queryset = queryset.filter(status=filters["status"])
        if "traveler_id" in filters:
            queryset = queryset.filter(traveller_id=filters["traveler_id"])
        return queryset


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ApprovalSerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = Trip.objects.none()
    pagination_class = EnvelopePagination.named("approvals")
    lookup_value_regex = UUID_PATTERN
    modified_field = "modified_at"
    change_field = "change_seq"
    required_scopes = {
        "list": "approvals:read",
        "retrieve": "approvals:read",
        "approve": "approvals:write",
        "decline": "approvals:write",
    }

    def get_queryset(self):
        if self.action in ("approve", "decline"):
            # Any trip of the company, so a trip decided meanwhile is a 409, not a 404.
            trips = Trip.objects.for_company(self.caller.company)
        else:
            trips = pending_decisions(self.caller)
        trips = trips.select_related("traveller", "process").prefetch_related("current_approvers")
        return trips.order_by("start_date", "id")

    @extend_schema(request=DecisionSerializer, responses={200: TripSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def approve(self, request, pk: str):
        return self._decide(approve_trip)

    @extend_schema(request=DecisionSerializer, responses={200: TripSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def decline(self, request, pk: str):
        return self._decide(decline_trip)

    def _decide(self, decision) -> Response:
        trip = self.get_object()
        data = self.valid_data(DecisionSerializer)
        approver = deciding_person(caller=self.caller, approver_id=data["approver_id"])
        try:
            decision(trip=trip, approver=approver, comment=data["comment"], step=data["step"])
        except NotAnApprover as exc:
            raise PermissionDenied(str(exc)) from None
        except DecisionError as exc:
            raise Conflict(str(exc)) from None
        decided = Trip.objects.select_related("traveller").get(pk=trip.pk)
        return Response(TripSerializer(decided).data)
