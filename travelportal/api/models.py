"""API keys and the answers remembered for ``Idempotency-Key``.

A key belongs to its company, not to the admin who created it: nothing records who that
was, so a key keeps working after that person leaves. Only its SHA-256 is stored.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from travelportal.companies.models import Company


class ApiKeyQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> ApiKeyQuerySet:
        return self.filter(company=company)

    def usable(self) -> ApiKeyQuerySet:
        """Not revoked and not expired."""
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )


class ApiKey(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key, shown in lists so admins can tell keys apart.
    prefix = models.CharField(max_length=16, editable=False)
    # Space-separated API scopes (travelportal.api.scopes).
    scope = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        constraints = [models.CheckConstraint(condition=~Q(scope=""), name="apikey_has_a_scope")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, per company.

    ``fingerprint`` is the SHA-256 of the method, path and raw body, so the same key with
    a different request is told apart from a retry."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True, blank=True)
    response_location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "key"], name="idempotency_unique_key_per_company")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.company_id}: {self.key}"
