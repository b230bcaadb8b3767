"""The daily clean-up of expired OAuth tokens, and what it must leave alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tests.tokens.conftest import exchange, get_code, refresh

pytestmark = pytest.mark.django_db


def _models():
    from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

    return get_access_token_model(), get_refresh_token_model(), get_grant_model()


def _rotate_twice_and_age(acme_admin_client, entra, entra_tokens) -> dict:
    """Two refreshes, as two provisioning cycles; the rotated-out refresh tokens are then
    older than the grace period. Returns the latest token response."""
    _, RefreshToken, _ = _models()
    latest = refresh(acme_admin_client, entra, entra_tokens["refresh_token"]).json()
    latest = refresh(acme_admin_client, entra, latest["refresh_token"]).json()
    RefreshToken.objects.filter(revoked__isnull=False).update(revoked=timezone.now() - timedelta(days=1))
    return latest


def test_the_task_clears_expired_tokens_and_codes_and_keeps_entras_connection(
    acme_admin_client, client, entra, entra_tokens, company, acme_admin
):
    from travelportal.tokens.tasks import clear_expired_oauth_tokens

    AccessToken, RefreshToken, Grant = _models()
    latest = _rotate_twice_and_age(acme_admin_client, entra, entra_tokens)
    stale_code = get_code(acme_admin_client, entra)
    Grant.objects.filter(code=stale_code).update(expires=timezone.now() - timedelta(minutes=1))
    orphan = AccessToken.objects.create(
        company=company,
        user=acme_admin,
        application=entra.application,
        token="orphan-token",
        token_checksum="0" * 64,
        expires=timezone.now() - timedelta(hours=1),
        scope="scim:read",
    )
    # The live access token has expired too, but its refresh token still needs it.
    AccessToken.objects.exclude(pk=orphan.pk).update(expires=timezone.now() - timedelta(minutes=5))

    clear_expired_oauth_tokens.apply().get()

    assert not RefreshToken.objects.filter(revoked__isnull=False).exists()
    assert not Grant.objects.filter(code=stale_code).exists()
    assert not AccessToken.objects.filter(pk=orphan.pk).exists()
    live = RefreshToken.objects.get()
    assert live.access_token is not None
    # Entra's next cycle refreshes as usual.
    assert refresh(client, entra, latest["refresh_token"]).status_code == 200


def test_running_the_task_twice_changes_nothing_more(acme_admin_client, entra, entra_tokens):
    from travelportal.tokens.tasks import clear_expired_oauth_tokens

    AccessToken, RefreshToken, _ = _models()
    _rotate_twice_and_age(acme_admin_client, entra, entra_tokens)
    clear_expired_oauth_tokens.apply().get()
    left = (list(AccessToken.objects.values_list("pk", flat=True)), list(RefreshToken.objects.values_list("pk")))

    clear_expired_oauth_tokens.apply().get()

    assert (list(AccessToken.objects.values_list("pk", flat=True)), list(RefreshToken.objects.values_list("pk"))) == (
        left
    )
    assert len(left[0]) == 1


def test_the_connection_keeps_its_authorize_time_after_rotation_and_clean_up(
    acme_admin_client, entra, entra_tokens, company, acme_admin
):
    from travelportal.tokens.services import entra_connection
    from travelportal.tokens.tasks import clear_expired_oauth_tokens

    _, RefreshToken, _ = _models()
    clicked = timezone.now() - timedelta(days=30)
    # The admin clicked Authorize a month ago.
    RefreshToken.objects.update(created=clicked, authorized_at=clicked)
    _rotate_twice_and_age(acme_admin_client, entra, entra_tokens)

    clear_expired_oauth_tokens.apply().get()

    connection_ = entra_connection(company)
    assert RefreshToken.objects.count() == 1
    assert connection_.authorized_at == clicked
    assert connection_.authorized_by == acme_admin


def test_a_new_authorize_starts_a_new_authorize_time(acme_admin_client, entra, entra_tokens, company):

    from travelportal.tokens.services import entra_connection

    _, RefreshToken, _ = _models()
    RefreshToken.objects.update(authorized_at=timezone.now() - timedelta(days=30))
    before = timezone.now()

    assert exchange(acme_admin_client, entra, get_code(acme_admin_client, entra)).status_code == 200

    assert entra_connection(company).authorized_at >= before


def test_the_beat_schedule_runs_the_task_every_day():
    from travelportal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["tokens-clear-expired-oauth-tokens"]
    app.loader.import_default_modules()

    assert entry["task"] == "tokens.clear_expired_oauth_tokens"
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 24 * 3600
    # The others' entries are still there.
    assert "approvals-sweep-chain-changes" in settings.CELERY_BEAT_SCHEDULE
