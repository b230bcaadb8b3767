"""The answers remembered for ``Idempotency-Key``. (API keys are credentials of the
company, ``travelportal.tokens.models.Credential``.)"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from travelportal.companies.models import Company
from travelportal.sealing.fields import EncryptedTextField


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, per company.

    ``fingerprint`` is the SHA-256 of the method, path and raw body, so the same key with
    a different request is told apart from a retry. Secrets in the answer (a webhook's
    ``secret``) are kept apart from ``response_body``, encrypted, in ``response_secrets``
    (a JSON object), so a dump of the table shows none of them."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True, blank=True)
    response_secrets = EncryptedTextField(blank=True, default="")
    response_location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "key"], name="idempotency_unique_key_per_company")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.company_id}: {self.key}"
