"""Clearing what the outbox leaves behind: changes no rebuild took and stale schedule
markers, once they are old enough that nothing can still be waiting for them.

A processed change is deleted by the rebuild that took it (``chain_rebuilds``), and the
hourly repair recomputes every company's processes from the data and empties its outbox.
A change still there after a day is one whose rebuild has kept failing: the repair does
not need it (it reads people, not the outbox), so keeping it only grows the table. A
marker says a task is queued; one a day old names a task that was lost long ago
(``outbox.STALE_SCHEDULE``), and the next change of that company schedules a new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from approvals.models import PendingChainChange, ScheduledRebuild
from travelportal.retention import delete_in_batches

logger = logging.getLogger(__name__)

# How old a leftover change or marker must be before the daily task clears it.
LEFTOVER_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class PrunedOutbox:
    changes: int
    markers: int


def prune_chain_outbox(*, older_than: datetime) -> PrunedOutbox:
    """Delete, for every company, outbox changes written and schedule markers set before
    ``older_than``, in batches (``travelportal.retention``). Run daily with a cut-off
    LEFTOVER_AFTER ago; leftover changes are logged, since each is a rebuild that kept failing."""
    changes = delete_in_batches(PendingChainChange.objects.filter(created_at__lt=older_than))
    markers = delete_in_batches(ScheduledRebuild.objects.filter(scheduled_at__lt=older_than))
    if changes:
        logger.warning(
            "Deleted %s approval-chain changes that waited since before %s; the hourly repair covers them.",
            changes,
            older_than.isoformat(),
        )
    return PrunedOutbox(changes=changes, markers=markers)
