"""Celery tasks of sign-in: thin, idempotent, no arguments needed."""

from __future__ import annotations

from datetime import timedelta

from axes.helpers import get_cool_off
from django.conf import settings
from django.utils import timezone

from travelportal.accounts import sessions, sign_in_records
from travelportal.retention import retention_task


@retention_task("accounts.prune_sign_in_records")
def prune_sign_in_records() -> dict:
    """Forget expired lockout counters, sign-in logs and SSO sign-ins older than
    SIGN_IN_LOG_RETENTION_DAYS, unanswered AuthnRequests and expired assertion ids, expired
    sessions and the records of ended ones (daily)."""
    now = timezone.now()
    cool_off = get_cool_off()
    records = sign_in_records.prune_sign_in_records(
        logs_older_than=now - timedelta(days=settings.SIGN_IN_LOG_RETENTION_DAYS),
        attempts_older_than=now - cool_off if cool_off else None,
    )
    ended = sessions.prune_ended_sessions(now=now)
    return {
        "attempts": records.attempts,
        "logs": records.logs,
        "failure_logs": records.failure_logs,
        "sso_events": records.sso_events,
        "sso_requests": records.sso_requests,
        "sso_assertions": records.sso_assertions,
        "sessions": ended.sessions,
        "session_records": ended.records,
    }
