"""Delivering: every attempt in the log, retries after an exponential backoff, a
delivery failed after the last attempt, a subscription disabled (and its admins emailed)
after failed deliveries in a row, redirects not followed, attempts claimed once."""

from __future__ import annotations

import socket
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from travelportal.webhooks import delivery as delivery_module
from travelportal.webhooks.delivery import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_CAP_SECONDS,
    BACKOFF_FACTOR,
    attempt_delivery,
    prune_delivery_log,
    retry_delay,
)
from travelportal.webhooks.models import Delivery, DeliveryAttempt, Subscription
from travelportal.webhooks.outbox import emit_event
from travelportal.webhooks.subscriptions import create_subscription
from travelportal.webhooks.tasks import deliver_webhook, sweep_webhook_deliveries

pytestmark = pytest.mark.django_db


def emit(company, capture, event="cost_center.created"):
    with capture(execute=True):
        return emit_event(company=company, event=event, payload={"id": 1, "name": "R&D", "archived": False})


def record_without_sending(company):
    """A delivery recorded in autocommit with its task not run (as if the broker lost it)."""
    return emit_event(company=company, event="cost_center.created", payload={"id": 1})


@pytest.fixture
def countdowns(monkeypatch):
    """The countdowns the task is enqueued with, while still running it in-process."""
    seen = []
    original = deliver_webhook.apply_async

    def apply_async(args=None, kwargs=None, countdown=None, **options):
        seen.append(countdown)
        return original(args=args, kwargs=kwargs, countdown=countdown, **options)

    monkeypatch.setattr(deliver_webhook, "apply_async", apply_async)
    monkeypatch.setattr(delivery_module, "random", SimpleNamespace(random=lambda: 0.5))
    return seen


@pytest.fixture
def few_attempts(monkeypatch):
    monkeypatch.setattr(delivery_module, "MAX_ATTEMPTS", 3)
    monkeypatch.setattr(delivery_module, "DISABLE_AFTER_FAILED_DELIVERIES", 2)


def test_the_backoff_grows_exponentially_with_jitter_and_a_cap():
    assert retry_delay(1, jitter=0) == BACKOFF_BASE_SECONDS
    assert retry_delay(2, jitter=0) == BACKOFF_BASE_SECONDS * BACKOFF_FACTOR
    assert retry_delay(3, jitter=0) == BACKOFF_BASE_SECONDS * BACKOFF_FACTOR**2
    assert retry_delay(30, jitter=0) == BACKOFF_CAP_SECONDS


@given(attempt=st.integers(min_value=1, max_value=40), jitter=st.floats(min_value=0, max_value=0.999))
def test_each_delay_is_within_ten_percent_above_its_step_and_never_shorter_than_the_last(attempt, jitter):
    step = min(BACKOFF_BASE_SECONDS * BACKOFF_FACTOR ** (attempt - 1), BACKOFF_CAP_SECONDS)
    delay = retry_delay(attempt, jitter=jitter)
    assert step <= delay < step * 1.1
    assert retry_delay(attempt + 1, jitter=0) >= retry_delay(attempt, jitter=0)


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    company, subscription, receiver, countdowns, django_capture_on_commit_callbacks
):
    receiver.answer(500, 503)

    [delivery] = emit(company, django_capture_on_commit_callbacks)

    # The first attempt at once, then after 30 s and 90 s (+5% jitter): eager tasks don't wait.
    assert countdowns == [0, retry_delay(1, jitter=0.5), retry_delay(2, jitter=0.5)]
    assert len(receiver.requests) == 3
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == ("succeeded", 3, None)
    attempts = list(delivery.attempts.order_by("number"))
    assert [(a.number, a.status_code) for a in attempts] == [(1, 500), (2, 503), (3, 204)]
    assert [a.error for a in attempts] == ["The receiver answered HTTP 500.", "The receiver answered HTTP 503.", ""]
    assert all(a.duration_ms >= 0 for a in attempts)
    assert attempts[0].response_excerpt == "not now"
    subscription.refresh_from_db()
    assert (subscription.sent_count, subscription.failed_count, subscription.consecutive_failures) == (1, 0, 0)


def test_a_failed_attempt_schedules_the_next_after_its_backoff(company, subscription, receiver, monkeypatch):
    monkeypatch.setattr(delivery_module, "random", SimpleNamespace(random=lambda: 0))
    receiver.default_status = 500
    [delivery] = record_without_sending(company)
    before = timezone.now()

    outcome = attempt_delivery(delivery_id=delivery.pk, attempt=1)

    assert outcome.retry_in == BACKOFF_BASE_SECONDS
    assert outcome.attempt.status_code == 500
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert before + timedelta(seconds=30) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=30)


def test_an_attempt_is_made_once_however_often_its_task_runs(company, subscription, receiver):
    receiver.default_status = 500
    [delivery] = record_without_sending(company)

    assert attempt_delivery(delivery_id=delivery.pk, attempt=1) is not None
    assert attempt_delivery(delivery_id=delivery.pk, attempt=1) is None
    assert attempt_delivery(delivery_id=delivery.pk, attempt=3) is None

    assert len(receiver.requests) == 1
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 1


def test_after_the_last_attempt_the_delivery_has_failed(
    company, subscription, receiver, few_attempts, django_capture_on_commit_callbacks
):
    receiver.default_status = 500

    [delivery] = emit(company, django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("failed", 3)
    assert delivery.completed_at is not None
    assert len(receiver.requests) == 3
    subscription.refresh_from_db()
    assert (subscription.sent_count, subscription.failed_count, subscription.consecutive_failures) == (0, 1, 1)
    assert subscription.enabled


def test_failed_deliveries_in_a_row_disable_the_subscription_and_email_the_admins(
    company, subscription, receiver, acme_admin, traveller, other_admin, few_attempts, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    receiver.default_status = 500

    emit(company, django_capture_on_commit_callbacks)
    assert mailoutbox == []
    emit(company, django_capture_on_commit_callbacks)

    subscription.refresh_from_db()
    assert not subscription.enabled
    assert (subscription.failed_count, subscription.consecutive_failures) == (2, 2)
    assert "after 2 deliveries in a row failed" in subscription.disabled_reason
    [mail] = mailoutbox
    assert mail.to == [acme_admin.work_email]
    assert "ERP sync" in mail.subject
    assert subscription.url in mail.body
    assert f"https://travel.example.com/company/developers/webhooks/{subscription.pk}/" in mail.body
    # Events from now on are not even recorded for it.
    assert emit(company, django_capture_on_commit_callbacks) == []
    assert len(mailoutbox) == 1


def test_a_delivery_that_gets_through_resets_the_failures_in_a_row(
    company, subscription, receiver, few_attempts, mailoutbox, django_capture_on_commit_callbacks
):
    receiver.answer(500, 500, 500)  # the first delivery fails all three attempts

    emit(company, django_capture_on_commit_callbacks)
    emit(company, django_capture_on_commit_callbacks)
    receiver.answer(500, 500, 500)
    emit(company, django_capture_on_commit_callbacks)

    subscription.refresh_from_db()
    assert subscription.enabled
    assert (subscription.sent_count, subscription.failed_count, subscription.consecutive_failures) == (1, 2, 1)
    assert mailoutbox == []


def test_pending_deliveries_of_a_disabled_subscription_are_cancelled_unsent(company, subscription, receiver):
    [delivery] = record_without_sending(company)
    Subscription.objects.filter(pk=subscription.pk).update(enabled=False)

    deliver_webhook(str(delivery.pk), 1)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.CANCELLED
    assert receiver.requests == []
    assert not delivery.attempts.exists()


def test_a_redirect_is_not_followed_and_fails_the_attempt(company, subscription, receiver):
    receiver.answer(302)
    receiver.extra_headers["Location"] = "http://169.254.169.254/latest/meta-data/"
    [delivery] = record_without_sending(company)

    outcome = attempt_delivery(delivery_id=delivery.pk, attempt=1)

    assert outcome.attempt.status_code == 302
    assert outcome.attempt.error == "Redirects are not followed (to http://169.254.169.254/latest/meta-data/)."
    assert outcome.retry_in is not None
    assert len(receiver.requests) == 1


def test_a_refused_connection_is_logged_without_a_status(company, receiver):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    create_subscription(
        company=company, name="Gone", url=f"http://127.0.0.1:{closed_port}/x", events=["cost_center.created"]
    )
    [delivery] = record_without_sending(company)

    outcome = attempt_delivery(delivery_id=delivery.pk, attempt=1)

    assert outcome.attempt.status_code is None
    assert outcome.attempt.error == "Connection refused."
    assert outcome.retry_in is not None


def test_a_receiver_that_never_answers_times_out(company, monkeypatch):
    monkeypatch.setattr(delivery_module, "TIMEOUT_SECONDS", 0.2)
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        create_subscription(
            company=company,
            name="Slow",
            url=f"http://127.0.0.1:{silent.getsockname()[1]}/x",
            events=["cost_center.created"],
        )
        [delivery] = record_without_sending(company)

        outcome = attempt_delivery(delivery_id=delivery.pk, attempt=1)

    assert outcome.attempt.status_code is None
    assert outcome.attempt.error == "Timed out waiting for the receiver."
    assert outcome.attempt.duration_ms >= 150


def test_enqueueing_fails_quietly_when_the_broker_is_down_and_the_sweep_delivers_later(
    company, subscription, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    with monkeypatch.context() as patched:
        patched.setattr(deliver_webhook, "apply_async", broker_down)
        [delivery] = emit(company, django_capture_on_commit_callbacks)  # no exception reaches the caller

    assert receiver.requests == []
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))

    assert sweep_webhook_deliveries() == 1

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert len(receiver.requests) == 1


def test_the_sweep_leaves_attempts_that_are_not_overdue(company, subscription, receiver):
    record_without_sending(company)

    assert sweep_webhook_deliveries() == 0
    assert receiver.requests == []


def test_a_last_attempt_that_never_reported_back_fails_the_delivery(company, subscription, receiver, few_attempts):
    [delivery] = record_without_sending(company)
    Delivery.objects.filter(pk=delivery.pk).update(
        attempt_count=3, next_attempt_at=timezone.now() - timedelta(minutes=10)
    )

    sweep_webhook_deliveries()

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert receiver.requests == []
    subscription.refresh_from_db()
    assert subscription.failed_count == 1


def test_the_log_keeps_thirty_days_of_finished_deliveries(company, subscription):
    old = Delivery.objects.create(subscription=subscription, event="trip.created", body="{}", status="succeeded")
    waiting = Delivery.objects.create(subscription=subscription, event="trip.created", body="{}")
    recent = Delivery.objects.create(subscription=subscription, event="trip.created", body="{}", status="failed")
    old.attempts.create(number=1, started_at=timezone.now(), status_code=204)
    Delivery.objects.filter(pk__in=[old.pk, waiting.pk]).update(created_at=timezone.now() - timedelta(days=31))

    assert prune_delivery_log() == 1

    assert set(Delivery.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert not DeliveryAttempt.objects.exists()
