"""Celery tasks of the provisioning log: thin, idempotent, no arguments needed."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from travelportal.provisioning import services


@shared_task(
    name="provisioning.prune_provisioning_log",
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    max_retries=5,
    acks_late=True,
)
def prune_provisioning_log() -> int:
    """Forget log entries older than PROVISIONING_LOG_RETENTION_DAYS (daily)."""
    older_than = timezone.now() - timedelta(days=settings.PROVISIONING_LOG_RETENTION_DAYS)
    return services.prune_provisioning_log(older_than=older_than)
