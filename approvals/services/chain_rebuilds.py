"""Running the coalesced rebuild: everything waiting in a company's outbox in one rebuild
(the Celery task's body), the sweep for changes no task took, and the periodic repair."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from approvals.metrics import observe_chain_rebuild
from approvals.models import PendingChainChange, ScheduledRebuild
from approvals.services.automatic_processes import RebuildResult, rebuild_approval_processes
from travelportal.companies.models import Company


def coalesce_seconds() -> float:
    """How long a rebuild waits for more changes before it runs (read when used, not at import)."""
    return float(getattr(settings, "APPROVALS_COALESCE_SECONDS", 2.0))


def process_pending_chain_changes(*, company_id: int) -> RebuildResult | None:
    """Apply every change waiting in the company's outbox in one rebuild (the Celery task's body).

    The schedule marker is dropped first, so a change committed from now on schedules a
    new task rather than being missed. None when nothing was waiting."""
    ScheduledRebuild.objects.filter(company_id=company_id).delete()
    return _rebuild_from_outbox(company_id=company_id, full=False)


def _rebuild_from_outbox(*, company_id: int, full: bool) -> RebuildResult | None:
    """Rebuild for the people waiting in the outbox (everyone if ``full`` or if a row asks
    for it), then delete those rows by id, so a row that commits while this runs waits for
    the next run. None if the company is gone, or if nothing waited and ``full`` is off."""
    with transaction.atomic():
        # NO KEY UPDATE serialises rebuilds of one company without blocking the SCIM writes
        # that insert rows referencing the company.
        company = Company.objects.select_for_update(no_key=True).filter(pk=company_id).first()
        if company is None:
            return None
        rows = list(PendingChainChange.objects.filter(company=company).values_list("id", "user_id"))
        if not rows and not full:
            return None
        everyone = full or any(user_id is None for _, user_id in rows)
        started = time.perf_counter()
        result = rebuild_approval_processes(
            company=company, user_ids=None if everyone else {user_id for _, user_id in rows}
        )
        observe_chain_rebuild(seconds=time.perf_counter() - started, full=everyone)
        PendingChainChange.objects.filter(id__in=[row_id for row_id, _ in rows]).delete()
    return result


def companies_with_waiting_changes(*, older_than: timedelta) -> list[int]:
    """Companies whose outbox holds a change no task has picked up in ``older_than``."""
    cutoff = timezone.now() - older_than
    return list(
        PendingChainChange.objects.values("company_id")
        .annotate(oldest=Min("created_at"))
        .filter(oldest__lt=cutoff)
        .values_list("company_id", flat=True)
    )


def repair_approval_processes(*, company: Company) -> RebuildResult:
    """Full rebuild plus whatever waits in the outbox (periodic task, management command)."""
    return _rebuild_from_outbox(company_id=company.pk, full=True) or RebuildResult()
