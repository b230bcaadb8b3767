"""Webhook subscriptions through the REST API, in TravelPerk's shapes: ``/api/webhooks``.

``GET/POST /webhooks``, ``GET/PATCH/DELETE /webhooks/{id}``, ``POST /webhooks/{id}/test``,
``GET /webhooks/events``, and beyond TravelPerk ``GET /webhooks/{id}/deliveries`` (the
delivery log), over the subscriptions domain (``travelportal.webhooks.subscriptions``).
Every query starts from the caller's company, so another company's subscription is a 404.

A subscription is ``id``, ``name``, ``url``, ``events``, ``enabled``,
``successfully_sent``, ``failed_sent`` and ``error_rate`` (TravelPerk's fields), with
``disabled_reason`` when the portal disabled it. Its ``secret`` is in the answer of the
request that set it (a POST, or a PATCH giving one) and nowhere else.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from travelportal.api.idempotency import idempotent
from travelportal.api.pagination import EnvelopePagination
from travelportal.api.problems import Conflict
from travelportal.api.views.base import ApiViewSet
from travelportal.webhooks.delivery import send_test_event
from travelportal.webhooks.events import EVENT_TYPES
from travelportal.webhooks.models import Delivery, DeliveryAttempt, Subscription
from travelportal.webhooks.subscriptions import (
    DuplicateUrl,
    create_subscription,
    delete_subscription,
    update_subscription,
)

READ, WRITE = "webhooks:read", "webhooks:write"
UUID_PATTERN = r"[0-9a-fA-F-]{32,36}"


class WebhookSerializer(serializers.ModelSerializer):
    successfully_sent = serializers.IntegerField(source="sent_count", read_only=True)
    failed_sent = serializers.IntegerField(source="failed_count", read_only=True)
    error_rate = serializers.FloatField(read_only=True)
    events = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Subscription
        fields = [
            "id",
            "name",
            "url",
            "events",
            "enabled",
            "successfully_sent",
            "failed_sent",
            "error_rate",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookWithSecretSerializer(WebhookSerializer):
    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, trim_whitespace=True)
    url = serializers.CharField(max_length=2000)
    events = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False, max_length=50)
    secret = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=200, help_text="Generated when not given."
    )
    enabled = serializers.BooleanField(required=False, default=True)


class WebhookUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=200, trim_whitespace=True)
    url = serializers.CharField(required=False, max_length=2000)
    events = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, allow_empty=False, max_length=50
    )
    secret = serializers.CharField(required=False, trim_whitespace=False, max_length=200)
    enabled = serializers.BooleanField(required=False)


class EventSerializer(serializers.Serializer):
    name = serializers.CharField()
    topic = serializers.CharField()
    description = serializers.CharField()


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "status_code", "duration_ms", "error", "response_excerpt"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    attempts = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "event", "status", "attempt_count", "next_attempt_at", "created_at", "completed_at", "attempts"]
        read_only_fields = fields


class TestResultSerializer(serializers.Serializer):
    delivered = serializers.BooleanField()
    delivery_id = serializers.UUIDField()
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)


class WebhookViewSet(ApiViewSet):
    serializer_class = WebhookSerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = Subscription.objects.none()
    pagination_class = EnvelopePagination.named("webhooks")
    lookup_value_regex = UUID_PATTERN
    required_scopes = {
        "list": READ,
        "retrieve": READ,
        "events": READ,
        "deliveries": READ,
        "create": WRITE,
        "partial_update": WRITE,
        "destroy": WRITE,
        "test": WRITE,
    }

    def get_queryset(self):
        return Subscription.objects.for_company(self.caller.company).order_by("created_at", "id")

    def list(self, request):
        return self.paginated(self.get_queryset())

    def retrieve(self, request, pk: str):
        return Response(WebhookSerializer(self.get_object()).data)

    @extend_schema(request=WebhookCreateSerializer, responses={201: WebhookWithSecretSerializer})
    @idempotent(secret_fields=("secret",))
    def create(self, request):
        data = self.valid_data(WebhookCreateSerializer)
        try:
            subscription = create_subscription(company=self.caller.company, **data)
        except DuplicateUrl as exc:
            raise Conflict(str(exc)) from None
        return Response(WebhookWithSecretSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookUpdateSerializer, responses={200: WebhookSerializer})
    def partial_update(self, request, pk: str):
        subscription = self.get_object()
        data = self.valid_data(WebhookUpdateSerializer, partial=True)
        try:
            update_subscription(subscription=subscription, **data)
        except DuplicateUrl as exc:
            raise Conflict(str(exc)) from None
        answer = WebhookWithSecretSerializer if "secret" in data else WebhookSerializer
        return Response(answer(subscription).data)

    def destroy(self, request, pk: str):
        delete_subscription(subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: TestResultSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk: str):
        """Send a ``webhook.test`` event to the subscription now, once (enabled or not)."""
        attempt = send_test_event(subscription=self.get_object())
        result = {
            "delivered": attempt.succeeded,
            "delivery_id": attempt.delivery_id,
            "status_code": attempt.status_code,
            "duration_ms": attempt.duration_ms,
            "error": attempt.error,
        }
        return Response(TestResultSerializer(result).data)

    @extend_schema(responses={200: EventSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None)
    def events(self, request):
        """The events a subscription can listen to (TravelPerk answers a plain list)."""
        return Response(EventSerializer(EVENT_TYPES, many=True).data)

    @extend_schema(responses={200: DeliverySerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=EnvelopePagination.named("deliveries"))
    def deliveries(self, request, pk: str):
        """The subscription's deliveries, newest first, each with its attempts."""
        subscription = self.get_object()
        self.modified_field = "created_at"
        return self.paginated(Delivery.objects.log_of(subscription), serializer_class=DeliverySerializer)
