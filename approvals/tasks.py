"""Celery tasks: thin interfaces that take ids and call ``approvals.services.chain_rebuilds``.

Every task is idempotent: the services compute the target state from the data and write
only the difference, so any order and any repetition give the same result.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from approvals.services import outbox_retention
from approvals.services.chain_rebuilds import (
    coalesce_seconds,
    companies_with_waiting_changes,
    process_pending_chain_changes,
    repair_approval_processes,
)
from travelportal.companies.models import Company
from travelportal.retention import retention_task

logger = logging.getLogger(__name__)

# The sweep takes a company's outbox once its oldest change has waited this long without
# a task taking it (a task normally does within the coalescing delay). With the sweep
# every 10 s (CELERY_BEAT_SCHEDULE), a change whose task was lost is rebuilt within ~20 s.
SWEEP_AFTER = timedelta(seconds=10)


@shared_task(
    name="approvals.process_chain_changes",
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
    acks_late=True,
)
def process_chain_changes(company_id: int) -> dict | None:
    """Apply the company's waiting people changes to its approval processes (coalesced)."""
    result = process_pending_chain_changes(company_id=company_id)
    if result is None:
        return None
    return {
        "created": len(result.created),
        "updated": len(result.updated),
        "deleted": len(result.deleted),
        "trips_reassigned": result.trips_reassigned,
    }


@shared_task(name="approvals.sweep_chain_changes", acks_late=True)
def sweep_chain_changes() -> int:
    """Pick up outbox rows no task took (the broker was down, a worker died)."""
    swept = 0
    older_than = max(SWEEP_AFTER, timedelta(seconds=5 * coalesce_seconds()))
    for company_id in companies_with_waiting_changes(older_than=older_than):
        try:
            process_pending_chain_changes(company_id=company_id)
            swept += 1
        except DatabaseError:
            logger.exception(
                "Sweeping the approval chain changes of company %s failed; next sweep retries.", company_id
            )
    return swept


@shared_task(name="approvals.repair_all_chains", acks_late=True)
def repair_all_chains() -> int:
    """Recompute every company's automatic processes and repair drift."""
    repaired = 0
    for company in Company.objects.order_by("pk"):
        try:
            if repair_approval_processes(company=company).changed:
                repaired += 1
        except DatabaseError:
            logger.exception("Repairing the approval chains of company %s failed; the next run retries.", company.pk)
    return repaired


@retention_task("approvals.prune_chain_outbox")
def prune_chain_outbox() -> dict:
    """Clear outbox changes and schedule markers left behind for more than a day (daily)."""
    pruned = outbox_retention.prune_chain_outbox(older_than=timezone.now() - outbox_retention.LEFTOVER_AFTER)
    return {"changes": pruned.changes, "markers": pruned.markers}
