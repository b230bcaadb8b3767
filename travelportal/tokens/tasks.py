"""Celery tasks of the authorization server: thin, idempotent, no arguments needed."""

from __future__ import annotations

from oauth2_provider.models import clear_expired

from travelportal.retention import retention_task


@retention_task("tokens.clear_expired_oauth_tokens")
def clear_expired_oauth_tokens() -> None:
    """Delete expired and revoked OAuth tokens and codes (django-oauth-toolkit's
    ``clear_expired``, as its ``cleartokens`` command does).

    It keeps what Entra still needs: an expired access token that a live refresh token
    points to, and rotated refresh tokens still inside the grace period. Safe to repeat.
    """
    clear_expired()
