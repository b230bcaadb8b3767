"""Emails about trips, sent with Django's email backend once the decision is committed
(a rolled-back decision must not have told anyone anything)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse

logger = logging.getLogger(__name__)


def _trip_url(trip) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{reverse('approvals:trip_detail', args=[trip.pk])}"


def _addresses(people: Iterable) -> list[str]:
    return sorted({p.work_email for p in people if p.work_email})


def _send(messages: list[tuple[str, str, str, list[str]]]) -> None:
    messages = [m for m in messages if m[3]]
    if not messages:
        return
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:  # a mail server outage must not undo a committed decision
        logger.exception("Could not send %d trip email(s)", len(messages))


def _queue(messages: list[tuple[str, str, str, list[str]]]) -> None:
    transaction.on_commit(partial(_send, messages))


def _message(subject: str, body: str, to: Iterable) -> tuple[str, str, str, list[str]]:
    return (subject, body, settings.DEFAULT_FROM_EMAIL, _addresses(to))


def trip_waiting(trip, approvers: Iterable, *, reason: str) -> None:
    """Tell the approvers of the current step that a trip waits for them."""
    subject = f"Trip to approve: {trip.traveller} to {trip.destination}"
    body = (
        f"{reason}\n\n{trip.traveller} travels to {trip.destination} from {trip.start_date} to "
        f"{trip.end_date} ({trip.estimated_cost} {trip.currency}, "
        f"{'in policy' if trip.in_policy else 'out of policy'}).\n"
        f"Purpose: {trip.purpose}\n\nApprove or decline it: {_trip_url(trip)}\n"
    )
    _queue([_message(subject, body, approvers)])


def trip_update_for_traveller(trip, *, headline: str, comment: str = "") -> None:
    """Tell the traveller what happened to their trip."""
    body = f"{headline}\n\n"
    if comment:
        body += f"Comment: {comment}\n\n"
    body += f"See the trip and its history: {_trip_url(trip)}\n"
    _queue([_message(f"Your trip to {trip.destination}: {headline}", body, [trip.traveller])])
