"""Emails about webhook subscriptions, sent with Django's email backend once the change
that caused them is committed."""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from travelportal.companies.models import User

logger = logging.getLogger(__name__)


def subscription_disabled(*, subscription) -> None:
    """Tell the company's active admins that the portal disabled a subscription that kept
    failing, and how to turn it on again."""
    admins = User.objects.for_company(subscription.company).filter(role=User.Role.ADMIN, is_active=True)
    recipients = sorted({admin.work_email for admin in admins if admin.work_email})
    if not recipients:
        return
    log_url = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("companysettings:webhook", args=[subscription.pk])
    subject = f"Webhook “{subscription.name}” was disabled"
    body = (
        f"The travel portal stopped sending events to the webhook “{subscription.name}” "
        f"({subscription.url}).\n\n{subscription.disabled_reason}\n\n"
        f"See every attempt and turn it on again once the receiver works: {log_url}\n"
        "Integrations can also turn it on with PATCH /api/webhooks/"
        f'{subscription.pk} and {{"enabled": true}}.\n'
    )
    transaction.on_commit(partial(_send, subject, body, recipients))


def _send(subject: str, body: str, recipients: list[str]) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
    except Exception:  # a mail server outage must not undo what was committed
        logger.exception("Could not send the webhook email %r", subject)
