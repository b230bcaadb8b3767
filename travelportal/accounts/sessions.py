"""Ending the sessions of people who may no longer use the portal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from travelportal.accounts.models import UserSession
from travelportal.companies.models import User
from travelportal.retention import delete_in_batches

# A record this young may belong to a sign-in whose session row is not written yet.
RECORD_SETTLE_TIME = timedelta(hours=1)


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def record_session(*, user: User, session_key: str) -> None:
    """Remember that ``session_key`` is signed in as ``user``, forgetting that person's
    records older than any session can live."""
    if not session_key:
        return
    stale_before = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    UserSession.objects.filter(user=user, created_at__lt=stale_before).delete()
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def forget_session(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def end_sessions(*, user: User) -> int:
    """End every session ``user`` is signed in with, at once; returns how many.

    Call it when a person is deactivated or deleted (or their access otherwise ends).
    Even without it such a person is signed out on their next request, because the
    authentication backend refuses inactive and deleted people; this removes the sessions
    themselves. Idempotent.
    """
    return _end_sessions_of(UserSession.objects.filter(user=user))


def end_sessions_of_inactive(*, company_id: int, user_ids: Iterable[UUID]) -> int:
    """End the sessions of those of ``user_ids`` (of one company) who are now inactive or
    deleted. Connected to ``people_changed``, so deactivation over SCIM ends sessions
    whichever code path did it."""
    # One read for all of them.
    return _end_sessions_of(
        UserSession.objects.filter(user__company_id=company_id, user_id__in=list(user_ids)).filter(
            Q(user__is_active=False) | Q(user__deleted_at__isnull=False)
        )
    )


def _end_sessions_of(records) -> int:
    """End the sessions these records name, and forget the records; nothing is written
    when there are none (the usual case for a SCIM deactivation)."""
    keys = list(records.values_list("session_key", flat=True))
    if not keys:
        return 0
    store = _session_store()
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


@dataclass(frozen=True)
class PrunedSessions:
    sessions: int
    records: int


def prune_ended_sessions(*, now: datetime) -> PrunedSessions:
    """Delete, in batches, Django's sessions that expired before ``now`` and the records
    of sessions that ended (run daily).

    With sessions in the database (the default engine, or cached_db) a record has ended
    when its session row is gone; other engines can't be searched, so a record ends when
    no session could still be alive (SESSION_COOKIE_AGE after it began)."""
    store = _session_store()
    if not hasattr(store, "get_model_class"):
        stale_before = now - timedelta(seconds=settings.SESSION_COOKIE_AGE)
        return PrunedSessions(
            sessions=0, records=delete_in_batches(UserSession.objects.filter(created_at__lt=stale_before))
        )
    Session = store.get_model_class()
    sessions = delete_in_batches(Session.objects.filter(expire_date__lt=now))
    ended = UserSession.objects.filter(created_at__lt=now - RECORD_SETTLE_TIME).filter(
        ~Exists(Session.objects.filter(session_key=OuterRef("session_key"), expire_date__gte=now))
    )
    return PrunedSessions(sessions=sessions, records=delete_in_batches(ended))


def on_people_changed(sender, *, company_id: int, user_ids, access_changed=None, **kwargs) -> None:
    # Only people whose access changed can have sessions to end (a new manager or a new
    # person can't), which spares every other SCIM write a read.
    ids = list(user_ids if access_changed is None else access_changed)
    if not ids:
        return
    # Sent inside the writing transaction: act only once the change is committed, and
    # read the people's state as committed.
    transaction.on_commit(lambda: end_sessions_of_inactive(company_id=company_id, user_ids=ids))


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        record_session(user=user, session_key=request.session.session_key)


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        forget_session(session_key=request.session.session_key)
