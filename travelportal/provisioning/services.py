"""Recording what provisioning did."""

from __future__ import annotations

from django.utils import timezone

from travelportal.companies.models import Company, User
from travelportal.provisioning.models import ProvisioningLogEntry


def record_event(
    *,
    company: Company | int,
    operation: str,
    detail: str = "",
    user: User | None = None,
    status: int | None = None,
) -> ProvisioningLogEntry:
    """Record a domain event found while applying provisioned data (a manager cycle, say)."""
    company_id = company if isinstance(company, int) else company.pk
    return ProvisioningLogEntry.objects.create(
        company_id=company_id,
        created_at=timezone.now(),
        operation=operation,
        detail=detail,
        user=user,
        user_name=user.username if user else "",
        status=status,
    )
