"""Celery tasks of webhooks: thin interfaces over ``travelportal.webhooks.delivery``, and
``enqueue_delivery``, the one way an attempt is handed to Celery (``outbox.emit_event``
after commit, and these tasks for retries and the sweep).

``deliver_webhook`` takes a delivery id and the number of the attempt to make, so a task
that runs twice makes that attempt once (``attempt_delivery`` claims it).
"""

from __future__ import annotations

import logging
from uuid import UUID

from celery import shared_task

from travelportal.retention import retention_task
from travelportal.webhooks.delivery import attempt_delivery, overdue_deliveries, prune_delivery_log

logger = logging.getLogger(__name__)


@shared_task(name="webhooks.deliver", acks_late=True)
def deliver_webhook(delivery_id: str, attempt: int = 1) -> int | None:
    """Make one attempt of a delivery and, when it failed and may be retried, enqueue the
    next one after its backoff. Returns the HTTP status answered, if any."""
    outcome = attempt_delivery(delivery_id=delivery_id, attempt=attempt)
    if outcome is None:
        return None
    if outcome.retry_in is not None:
        enqueue_delivery(delivery_id=delivery_id, attempt=attempt + 1, countdown=outcome.retry_in)
    return outcome.attempt.status_code if outcome.attempt else None


@shared_task(name="webhooks.sweep_deliveries", acks_late=True)
def sweep_webhook_deliveries() -> int:
    """Enqueue attempts that are overdue because their task was lost; returns how many."""
    overdue = overdue_deliveries()
    for delivery_id, attempt in overdue:
        enqueue_delivery(delivery_id=delivery_id, attempt=attempt)
    return len(overdue)


@retention_task("webhooks.prune_delivery_log")
def prune_webhook_delivery_log() -> int:
    """Delete the log of deliveries finished more than 30 days ago; returns how many."""
    return prune_delivery_log()


def enqueue_delivery(*, delivery_id: UUID, attempt: int = 1, countdown: float = 0) -> bool:
    """Hand one attempt of a delivery to Celery; False when the broker refused it.

    Runs after commit, so it is not Celery's ``delay_on_commit``: a broker that is down
    must not fail the request whose transaction already committed (as
    ``approvals.services.outbox`` does). The delivery row says when it is due, and the
    sweep (``sweep_webhook_deliveries``) enqueues it again."""
    try:
        deliver_webhook.apply_async(args=[str(delivery_id), attempt], countdown=countdown, retry=False)
    except Exception:
        logger.warning("Could not enqueue webhook delivery %s; the sweep will.", delivery_id, exc_info=True)
        return False
    return True
