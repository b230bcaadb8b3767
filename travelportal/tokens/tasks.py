"""Celery tasks of the authorization server: thin, idempotent, no arguments needed."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError
from oauth2_provider.models import clear_expired


@shared_task(
    name="tokens.clear_expired_oauth_tokens",
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    max_retries=5,
    acks_late=True,
)
def clear_expired_oauth_tokens() -> None:
    """Delete expired and revoked OAuth tokens and codes (django-oauth-toolkit's
    ``clear_expired``, as its ``cleartokens`` command does).

    It keeps what Entra still needs: an expired access token that a live refresh token
    points to, and rotated refresh tokens still inside the grace period. Safe to repeat.
    """
    clear_expired()
