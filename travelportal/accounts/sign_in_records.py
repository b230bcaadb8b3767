"""How long django-axes' records of sign-ins are kept.

``AccessAttempt`` rows are the failure counters a lockout is decided from; one older than
AXES_COOLOFF_TIME no longer counts (axes itself deletes such rows on later sign-ins, all
at once, so a quiet portal keeps them). ``AccessLog`` (sign-ins and sign-outs) and
``AccessFailureLog`` (each failure) are history for support staff, kept
SIGN_IN_LOG_RETENTION_DAYS, as are SSO sign-ins and refusals (``SsoSignInEvent``). An
AuthnRequest left unanswered past SSO_REQUEST_MAX_AGE_SECONDS can no longer be answered,
and a used assertion id is kept only until the assertion expires (``SeenAssertion``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.utils import timezone

from travelportal.accounts.models import SamlRequest, SeenAssertion, SsoSignInEvent
from travelportal.retention import delete_in_batches


@dataclass(frozen=True)
class PrunedSignInRecords:
    attempts: int
    logs: int
    failure_logs: int
    sso_events: int = 0
    sso_requests: int = 0
    sso_assertions: int = 0


def prune_sign_in_records(*, logs_older_than: datetime, attempts_older_than: datetime | None) -> PrunedSignInRecords:
    """Delete sign-in and failure logs from before ``logs_older_than`` and failure
    counters last updated before ``attempts_older_than`` (None keeps them all: with no
    cool-off a lockout lasts until support staff lift it), in batches."""
    attempts = 0
    if attempts_older_than is not None:
        attempts = delete_in_batches(AccessAttempt.objects.filter(attempt_time__lt=attempts_older_than))
    return PrunedSignInRecords(
        attempts=attempts,
        logs=delete_in_batches(AccessLog.objects.filter(attempt_time__lt=logs_older_than)),
        failure_logs=delete_in_batches(AccessFailureLog.objects.filter(attempt_time__lt=logs_older_than)),
        sso_events=delete_in_batches(SsoSignInEvent.objects.filter(created_at__lt=logs_older_than)),
        sso_requests=delete_in_batches(
            SamlRequest.objects.filter(
                created_at__lt=timezone.now() - timedelta(seconds=settings.SSO_REQUEST_MAX_AGE_SECONDS)
            )
        ),
        sso_assertions=delete_in_batches(SeenAssertion.objects.filter(expires_at__lt=timezone.now())),
    )
