"""Delivering: one attempt of a delivery at a time, the retry schedule, and where a
subscription's failures lead.

Rules:

* An attempt POSTs the delivery's body, signed (``travelportal.webhooks.signing``), to
  the subscription's URL as it is now, checked again (``travelportal.webhooks.addresses``).
  A 2xx answer delivers it; anything else fails the attempt: another status, a redirect
  (never followed), no answer within ``TIMEOUT_SECONDS``, or a URL that is refused.
* A failed attempt is retried after ``retry_delay(n)``: ``BACKOFF_BASE_SECONDS`` times
  ``BACKOFF_FACTOR`` to the power n-1, at most ``BACKOFF_CAP_SECONDS``, plus up to 10%
  jitter so that receivers coming back are not hit by every retry at once. After
  ``MAX_ATTEMPTS`` failed attempts the delivery has failed.
* ``DISABLE_AFTER_FAILED_DELIVERIES`` failed deliveries in a row disable the subscription
  and its company's admins are emailed, once; a delivery that gets through resets the
  count. The pending deliveries of a disabled subscription are cancelled when due.
* A test delivery is attempted once, whether the subscription is enabled or not, and
  moves none of its counts.
* Each attempt is claimed with a conditional UPDATE of ``attempt_count``, so when the
  same attempt reaches two workers (a task redelivered, the sweep) it is sent once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from travelportal.retention import delete_in_batches
from travelportal.webhooks import notifications, transport
from travelportal.webhooks.addresses import UnsafeUrl, check_url
from travelportal.webhooks.events import TEST_EVENT
from travelportal.webhooks.models import Delivery, DeliveryAttempt, Subscription
from travelportal.webhooks.payloads import envelope
from travelportal.webhooks.signing import signature_headers

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_FACTOR = 3
BACKOFF_CAP_SECONDS = 6 * 3600
DISABLE_AFTER_FAILED_DELIVERIES = 5
TIMEOUT_SECONDS = 10.0
# An attempt in flight is not overdue for the sweep before this has passed.
ATTEMPT_LEASE = timedelta(seconds=3 * TIMEOUT_SECONDS + 30)
# A due attempt no task took after this long was lost (broker down, worker gone).
SWEEP_GRACE = timedelta(minutes=2)
LOG_RETENTION = timedelta(days=30)
USER_AGENT = "TravelPortal-Webhooks/1"
# Header values are sent as ASCII: other characters of a subscription's name are
# percent-encoded (RFC 3986 §2.1), as are control characters.
_HEADER_SAFE = "".join(chr(code) for code in range(0x20, 0x7F) if chr(code) != "%")


def retry_delay(attempt: int, *, jitter: float | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (from 1) before the next.
    ``jitter`` in [0, 1) picks the extra fraction; random when not given."""
    base = min(BACKOFF_BASE_SECONDS * BACKOFF_FACTOR ** (attempt - 1), BACKOFF_CAP_SECONDS)
    fraction = random.random() if jitter is None else jitter
    return base * (1 + 0.1 * fraction)


@dataclass(frozen=True)
class Outcome:
    """What one attempt did: its log row (None when nothing was sent), and in how many
    seconds the next attempt is due, when there is one."""

    attempt: DeliveryAttempt | None
    retry_in: float | None = None


def attempt_delivery(*, delivery_id: UUID | str, attempt: int) -> Outcome | None:
    """Make attempt number ``attempt`` of a delivery if it is still the one due; None when
    it is not (made already, or the delivery is finished or gone). Idempotent."""
    now = timezone.now()
    pending = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING, attempt_count=attempt - 1)
    if attempt > MAX_ATTEMPTS:
        # The last attempt never reported back (its worker died): the delivery failed.
        delivery = pending.select_related("subscription").first()
        if delivery is None or not pending.update(status=Delivery.Status.FAILED, completed_at=now):
            return None
        _count_failure(delivery, now)
        return Outcome(attempt=None)
    if not pending.update(attempt_count=attempt, next_attempt_at=now + ATTEMPT_LEASE):
        return None
    delivery = Delivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:  # its subscription was deleted meanwhile
        return None
    is_test = delivery.event == TEST_EVENT
    if not delivery.subscription.enabled and not is_test:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.CANCELLED, completed_at=now, next_attempt_at=None
        )
        return Outcome(attempt=None)

    record = _send(delivery, number=attempt, now=now)

    with transaction.atomic():
        record.save()
        finished = timezone.now()
        if record.succeeded:
            _finish(delivery, Delivery.Status.SUCCEEDED, finished)
            if not is_test:
                Subscription.objects.filter(pk=delivery.subscription_id).update(
                    sent_count=F("sent_count") + 1, consecutive_failures=0
                )
            return Outcome(attempt=record)
        if is_test or attempt >= MAX_ATTEMPTS:
            _finish(delivery, Delivery.Status.FAILED, finished)
            if not is_test:
                _count_failure(delivery, finished)
            return Outcome(attempt=record)
        delay = retry_delay(attempt)
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=finished + timedelta(seconds=delay))
        return Outcome(attempt=record, retry_in=delay)


def _send(delivery: Delivery, *, number: int, now: datetime) -> DeliveryAttempt:
    """POST the delivery once; the attempt's log row, not saved yet."""
    record = DeliveryAttempt(delivery=delivery, number=number, started_at=now)
    subscription = delivery.subscription
    body = delivery.body.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Tk-webhook-name": quote(subscription.name, safe=_HEADER_SAFE),
        "Tk-webhook-event": delivery.event,
        **signature_headers(
            secret=subscription.secret, message_id=str(delivery.pk), timestamp=int(now.timestamp()), body=body
        ),
    }
    try:
        target = check_url(subscription.url)
        answer = transport.post(target=target, body=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except UnsafeUrl as exc:
        record.error = f"Not sent: {exc}"[:500]
        return record
    except transport.TransportError as exc:
        record.error, record.duration_ms = str(exc)[:500], exc.duration_ms
        return record
    record.status_code, record.duration_ms = answer.status, answer.duration_ms
    record.response_excerpt = answer.excerpt[:500]
    if 300 <= answer.status < 400:
        record.error = f"Redirects are not followed (to {answer.location or 'nowhere'})."[:500]
    elif not record.succeeded:
        record.error = f"The receiver answered HTTP {answer.status}."
    return record


def _finish(delivery: Delivery, status: str, at: datetime) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(status=status, completed_at=at, next_attempt_at=None)


def _count_failure(delivery: Delivery, at: datetime) -> None:
    """A delivery failed for good: count it, and disable its subscription at the limit."""
    subscriptions = Subscription.objects.filter(pk=delivery.subscription_id)
    subscriptions.update(failed_count=F("failed_count") + 1, consecutive_failures=F("consecutive_failures") + 1)
    reason = f"Disabled on {at:%Y-%m-%d %H:%M} UTC after {DISABLE_AFTER_FAILED_DELIVERIES} deliveries in a row failed."
    disabled = subscriptions.filter(enabled=True, consecutive_failures__gte=DISABLE_AFTER_FAILED_DELIVERIES).update(
        enabled=False, disabled_reason=reason, updated_at=at
    )
    if disabled:
        notifications.subscription_disabled(subscription=Subscription.objects.get(pk=delivery.subscription_id))


def send_test_event(*, subscription: Subscription) -> DeliveryAttempt:
    """POST a ``webhook.test`` event to the subscription now, once, and return the attempt
    (in the delivery log like any other)."""
    now = timezone.now()
    delivery = Delivery(subscription=subscription, event=TEST_EVENT, next_attempt_at=now)
    data = {
        "webhook": {"id": str(subscription.pk), "name": subscription.name},
        "message": "A test event sent from the travel portal's API.",
    }
    delivery.body = envelope(message_id=delivery.pk, event=TEST_EVENT, data=data, at=now)
    delivery.save()
    outcome = attempt_delivery(delivery_id=delivery.pk, attempt=1)
    return outcome.attempt


def overdue_deliveries(*, limit: int = 500) -> list[tuple[UUID, int]]:
    """(delivery id, attempt due) of pending deliveries whose attempt is overdue by
    ``SWEEP_GRACE``: the task that should have made it was lost."""
    rows = (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lt=timezone.now() - SWEEP_GRACE)
        .order_by("next_attempt_at")
        .values_list("pk", "attempt_count")[:limit]
    )
    return [(pk, count + 1) for pk, count in rows]


def prune_delivery_log(*, older_than: timedelta = LOG_RETENTION) -> int:
    """Delete finished deliveries (and their attempts) older than ``older_than``, in
    batches (``travelportal.retention``); returns how many deliveries went."""
    old = Delivery.objects.exclude(status=Delivery.Status.PENDING).filter(created_at__lt=timezone.now() - older_than)
    return delete_in_batches(old)
