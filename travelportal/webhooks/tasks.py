"""Celery tasks of webhooks: thin interfaces over ``travelportal.webhooks.delivery``.

``deliver_webhook`` takes a delivery id and the number of the attempt to make, so a task
that runs twice makes that attempt once (``attempt_delivery`` claims it).
"""

from __future__ import annotations

from celery import shared_task

from travelportal.webhooks.delivery import attempt_delivery, overdue_deliveries, prune_delivery_log
from travelportal.webhooks.outbox import enqueue_delivery


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


@shared_task(name="webhooks.prune_delivery_log", acks_late=True)
def prune_webhook_delivery_log() -> int:
    """Delete the log of deliveries finished more than 30 days ago; returns how many."""
    return prune_delivery_log()
