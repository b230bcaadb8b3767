"""Celery tasks of the provisioning log: thin, idempotent, no arguments needed."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from travelportal.provisioning import services
from travelportal.retention import retention_task


@retention_task("provisioning.prune_provisioning_log")
def prune_provisioning_log() -> int:
    """Forget log entries older than PROVISIONING_LOG_RETENTION_DAYS (daily)."""
    older_than = timezone.now() - timedelta(days=settings.PROVISIONING_LOG_RETENTION_DAYS)
    return services.prune_provisioning_log(older_than=older_than)
