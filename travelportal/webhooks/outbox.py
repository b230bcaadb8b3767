"""Emitting an event: one delivery per listening subscription, written in the caller's
transaction and handed to Celery once it commits.

``emit_event`` (and ``emit_events`` for a bulk write) is the one way any part of the
portal (signal receivers, the REST API) sends a webhook event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial

from django.db import transaction
from django.utils import timezone

from travelportal.companies.models import Company
from travelportal.webhooks.events import EVENTS
from travelportal.webhooks.models import Delivery, Subscription
from travelportal.webhooks.payloads import envelope
from travelportal.webhooks.tasks import enqueue_delivery


def emit_event(*, company: Company | int, event: str, payload: Mapping | Callable[[], Mapping]) -> list[Delivery]:
    """Record a delivery of ``event`` to each enabled subscription of ``company`` (or its
    id) that listens to it, and enqueue each delivery after the transaction commits.

    The deliveries are rows of the caller's transaction: they roll back with it, and then
    nothing is sent. ``payload`` is the event's ``data``; it may be a callable, called
    only when some subscription listens, so an event nobody listens to costs one read.
    Returns the deliveries recorded. An unknown event name is a programming error."""
    return emit_events(company=company, event=event, payloads=lambda: [payload() if callable(payload) else payload])


def emit_events(
    *, company: Company | int, event: str, payloads: Iterable[Mapping] | Callable[[], Iterable[Mapping]]
) -> list[Delivery]:
    """``emit_event`` for many occurrences of one event at once (a bulk write): one read
    of the subscriptions and one INSERT of the deliveries, whatever their number. A
    callable ``payloads`` is called only when some subscription listens."""
    if event not in EVENTS:
        raise ValueError(f"{event!r} is not a webhook event (travelportal.webhooks.events)")
    company_id = company.pk if isinstance(company, Company) else company
    listening = [
        subscription
        for subscription in Subscription.objects.for_company(company_id).enabled().only("id", "events")
        if subscription.listens_to(event)
    ]
    if not listening:
        return []
    now = timezone.now()
    deliveries = []
    for data in payloads() if callable(payloads) else payloads:
        for subscription in listening:
            delivery = Delivery(subscription=subscription, event=event, next_attempt_at=now)
            delivery.body = envelope(message_id=delivery.pk, event=event, data=data, at=now)
            deliveries.append(delivery)
    Delivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        transaction.on_commit(partial(enqueue_delivery, delivery_id=delivery.pk))
    return deliveries
