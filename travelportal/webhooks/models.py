"""Webhook subscriptions of a company, the deliveries of events to them and every attempt
of each delivery (the delivery log).

A delivery is one event for one subscription: its body is fixed when the event happens
and every attempt sends exactly those bytes, under the same ``webhook-id`` (the
delivery's id), so a receiver can tell a retry from a new event.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from travelportal.companies.models import Company
from travelportal.sealing.fields import EncryptedTextField


class SubscriptionQuerySet(models.QuerySet):
    def for_company(self, company: Company | int) -> SubscriptionQuerySet:
        return self.filter(company=company)

    def enabled(self) -> SubscriptionQuerySet:
        return self.filter(enabled=True)


class Subscription(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    url = models.CharField("URL", max_length=2000)
    # Signing needs the secret itself, so it is stored encrypted (travelportal.sealing), not
    # hashed. Shown once, when it is set.
    secret = EncryptedTextField(max_length=200)
    events = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    sent_count = models.PositiveIntegerField("deliveries sent", default=0)
    failed_count = models.PositiveIntegerField("deliveries failed", default=0)
    # Failed deliveries since the last one that got through; at the limit the
    # subscription is disabled (travelportal.webhooks.delivery).
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Why the portal disabled it; empty when enabled or disabled through the API.
    disabled_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "url"], name="webhooksubscription_unique_url_per_company"),
            models.CheckConstraint(condition=~Q(secret=""), name="webhooksubscription_has_a_secret"),
        ]

    def __str__(self) -> str:
        return self.name

    def listens_to(self, event: str) -> bool:
        return event in self.events

    @property
    def error_rate(self) -> float:
        """Failed deliveries among those finished, as TravelPerk reports it (0.0 to 1.0)."""
        finished = self.sent_count + self.failed_count
        return round(self.failed_count / finished, 4) if finished else 0.0


class DeliveryQuerySet(models.QuerySet):
    def for_company(self, company: Company | int) -> DeliveryQuerySet:
        return self.filter(subscription__company=company)

    def log_of(self, subscription: Subscription) -> DeliveryQuerySet:
        """The subscription's delivery log: newest first, each with its attempts in order."""
        attempts = models.Prefetch("attempts", queryset=DeliveryAttempt.objects.order_by("number"))
        return self.filter(subscription=subscription).order_by("-created_at", "-id").prefetch_related(attempts)


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"
        # Not sent: the subscription was disabled or deleted before an attempt got through.
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=64)
    # The exact JSON text sent (UTF-8), fixed when the event happened.
    body = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due while pending; the sweep enqueues overdue ones.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="delivery_subscription_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed", "cancelled"]), name="delivery_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    # None when no HTTP answer came (refused address, connection error, timeout).
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="deliveryattempt_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="deliveryattempt_number_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
