"""How much waits in the approval rebuild outbox: what health checks and metrics read.
A leaf module (models only), so the metrics the rebuild code reports can read it too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min

from approvals.models import PendingChainChange


@dataclass(frozen=True)
class OutboxState:
    waiting: int
    oldest: datetime | None


def outbox_state() -> OutboxState:
    """How many changes wait in every company's outbox, and since when the oldest has
    (health and metrics read it; one aggregate over a table that is normally near empty)."""
    row = PendingChainChange.objects.aggregate(waiting=Count("id"), oldest=Min("created_at"))
    return OutboxState(waiting=row["waiting"], oldest=row["oldest"])
