from __future__ import annotations

from datetime import timedelta

import pytest

from tests.accounts.test_login import sign_in, signed_in_user_id

pytestmark = pytest.mark.django_db


def fail(client, username, times):
    for _ in range(times):
        sign_in(client, username, "wrong password")


def test_repeated_failures_lock_the_account_out_even_with_the_right_password(client, acme_admin, settings):
    from axes.models import AccessAttempt

    fail(client, acme_admin.username, settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, acme_admin.username).status_code == 302
    client.post("/accounts/logout/")
    fail(client, acme_admin.username, settings.AXES_FAILURE_LIMIT)

    response = sign_in(client, acme_admin.username)

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed sign-in attempts" in html
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    assert f"paused for {minutes} minutes after {settings.AXES_FAILURE_LIMIT} failed attempts" in html
    assert signed_in_user_id(client) is None
    # The refused attempt with the right password counts as one more failure.
    assert AccessAttempt.objects.get().failures_since_start == settings.AXES_FAILURE_LIMIT + 1


def test_failures_count_together_whatever_the_case_of_the_username(client, acme_admin, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        name = acme_admin.username.upper() if i % 2 else acme_admin.username
        sign_in(client, name, "wrong password")

    response = sign_in(client, acme_admin.username)

    assert response.status_code == 429
    assert signed_in_user_id(client) is None


def test_the_lockout_of_one_person_does_not_lock_out_another(client, acme_admin, traveller, settings):
    fail(client, acme_admin.username, settings.AXES_FAILURE_LIMIT)

    response = sign_in(client, traveller.username)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(traveller.pk)


def test_the_lockout_ends_after_the_cool_off(client, acme_admin, settings):
    from axes.models import AccessAttempt

    fail(client, acme_admin.username, settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, acme_admin.username).status_code == 429
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
        attempt.save(update_fields=["attempt_time"])

    response = sign_in(client, acme_admin.username)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(acme_admin.pk)
