"""What provisioning did, as the company admin and support staff see it.

One row per SCIM request (written by ``scim``), plus domain events found while applying
provisioned data, such as a cycle in the manager hierarchy (written by ``approvals``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from travelportal.companies.models import Company


class ProvisioningLogQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> ProvisioningLogQuerySet:
        return self.filter(company=company)


class ProvisioningLogEntry(models.Model):
    class ResourceType(models.TextChoices):
        USER = "User", "User"
        GROUP = "Group", "Group"

    class Operation(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DISABLE = "disable", "Disable"
        ENABLE = "enable", "Enable"
        DELETE = "delete", "Delete"
        READ = "read", "Read"
        MANAGER_CYCLE = "manager_cycle", "Cycle in manager data"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    operation = models.CharField(max_length=20, choices=Operation.choices)
    # What the request was about; user_name holds the person's userName or the group's
    # displayName.
    resource_type = models.CharField(max_length=10, choices=ResourceType.choices, default=ResourceType.USER)
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=500, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user_name = models.CharField("userName", max_length=254, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    scim_type = models.CharField("scimType", max_length=50, blank=True)
    detail = models.TextField(blank=True)
    request_body = models.JSONField(null=True, blank=True)
    # The request's id (X-Request-ID, as in the web log and the tasks it enqueued), so
    # support can follow one Entra request from here to the chain rebuild.
    request_id = models.CharField("request id", max_length=128, blank=True)

    objects = ProvisioningLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "provisioning log entries"
        indexes = [models.Index(fields=["company", "-created_at"], name="provlog_company_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.status or ''} {self.user_name}".strip()

    @property
    def is_error(self) -> bool:
        return bool(self.status and self.status >= 400)
