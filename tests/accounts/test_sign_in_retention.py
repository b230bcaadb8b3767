"""Sign-in records don't grow without end: expired lockout counters, old axes logs, expired
sessions and the records of ended ones go daily (issue 10, part 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.accounts.test_login import sign_in
from tests.foundation.test_retention import ids_per_delete
from travelportal import retention

pytestmark = pytest.mark.django_db


def axes_row(model, *, days_old: float, username: str, **extra):
    row = model.objects.create(
        user_agent="pytest", ip_address="192.0.2.1", username=username, http_accept="*/*", path_info="/", **extra
    )
    model.objects.filter(pk=row.pk).update(attempt_time=timezone.now() - timedelta(days=days_old))
    return row


def usernames(model) -> set[str]:
    return set(model.objects.values_list("username", flat=True))


def test_logs_older_than_the_retention_go_and_newer_stay(settings):
    from axes.models import AccessFailureLog, AccessLog

    from travelportal.accounts.tasks import prune_sign_in_records

    axes_row(AccessLog, days_old=91, username="old")
    axes_row(AccessLog, days_old=89, username="recent")
    axes_row(AccessFailureLog, days_old=120, username="old")
    axes_row(AccessFailureLog, days_old=1, username="recent")

    result = prune_sign_in_records()

    assert (result["logs"], result["failure_logs"]) == (1, 1)
    assert usernames(AccessLog) == usernames(AccessFailureLog) == {"recent"}


def test_the_log_retention_comes_from_settings(settings):
    from axes.models import AccessLog

    from travelportal.accounts.tasks import prune_sign_in_records

    settings.SIGN_IN_LOG_RETENTION_DAYS = 10
    axes_row(AccessLog, days_old=11, username="old")
    axes_row(AccessLog, days_old=9, username="recent")

    prune_sign_in_records()

    assert usernames(AccessLog) == {"recent"}


def test_a_lockout_in_force_is_kept_and_goes_once_its_cool_off_is_over(client, acme_admin, settings):
    from axes.models import AccessAttempt

    from travelportal.accounts.tasks import prune_sign_in_records

    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, acme_admin.username, "wrong password")

    assert prune_sign_in_records()["attempts"] == 0
    assert sign_in(client, acme_admin.username).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert prune_sign_in_records()["attempts"] == 1
    assert not AccessAttempt.objects.exists()


def test_without_a_cool_off_lockout_counters_are_kept(settings):
    from axes.models import AccessAttempt

    from travelportal.accounts.tasks import prune_sign_in_records

    settings.AXES_COOLOFF_TIME = None
    axes_row(AccessAttempt, days_old=400, username="locked", get_data="", post_data="", failures_since_start=9)

    assert prune_sign_in_records()["attempts"] == 0
    assert usernames(AccessAttempt) == {"locked"}


def test_expired_sessions_and_the_records_of_ended_ones_go(acme_admin, traveller):
    from django.contrib.sessions.models import Session

    from tests.conftest import signed_in_client
    from travelportal.accounts.models import UserSession
    from travelportal.accounts.tasks import prune_sign_in_records

    ended = signed_in_client(acme_admin).session.session_key
    live = signed_in_client(traveller).session.session_key
    just_signed_in = UserSession.objects.create(user=traveller, session_key="not-written-yet")
    an_hour_ago = timezone.now() - timedelta(hours=2)
    UserSession.objects.exclude(pk=just_signed_in.pk).update(created_at=an_hour_ago)
    Session.objects.filter(session_key=ended).update(expire_date=timezone.now() - timedelta(seconds=1))

    result = prune_sign_in_records()

    assert (result["sessions"], result["session_records"]) == (1, 1)
    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
    assert set(UserSession.objects.values_list("session_key", flat=True)) == {live, "not-written-yet"}


def test_records_of_signed_out_sessions_go_too(acme_admin):
    from travelportal.accounts.models import UserSession
    from travelportal.accounts.sessions import prune_ended_sessions

    UserSession.objects.create(user=acme_admin, session_key="gone-without-logout")
    UserSession.objects.update(created_at=timezone.now() - timedelta(hours=2))

    assert prune_ended_sessions(now=timezone.now()).records == 1
    assert not UserSession.objects.exists()


def test_without_database_sessions_records_go_after_the_cookie_age(acme_admin, settings):
    from travelportal.accounts.models import UserSession
    from travelportal.accounts.sessions import prune_ended_sessions

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    old = UserSession.objects.create(user=acme_admin, session_key="old")
    UserSession.objects.create(user=acme_admin, session_key="recent")
    UserSession.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    )

    pruned = prune_ended_sessions(now=timezone.now())

    assert (pruned.sessions, pruned.records) == (0, 1)
    assert set(UserSession.objects.values_list("session_key", flat=True)) == {"recent"}


def test_failure_logs_go_in_bounded_batches(monkeypatch):
    from axes.models import AccessFailureLog

    from travelportal.accounts.sign_in_records import prune_sign_in_records

    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    for i in range(3):
        axes_row(AccessFailureLog, days_old=100, username=f"old-{i}")

    with CaptureQueriesContext(connection) as queries:
        pruned = prune_sign_in_records(logs_older_than=timezone.now() - timedelta(days=90), attempts_older_than=None)

    assert pruned.failure_logs == 3
    assert ids_per_delete(queries.captured_queries, "axes_accessfailurelog") == [2, 1]
