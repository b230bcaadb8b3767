"""Issuing, finding and revoking the credentials of a company's SCIM API."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from travelportal.companies.models import Company, User
from travelportal.tokens.models import SCIM_SCOPES, SecretToken, hash_token

SECRET_TOKEN_PREFIX = "tps_"
# Writing last_used_at on every request would make every SCIM call a write; once a
# minute is precise enough for the "last used" column.
LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class BearerCredential:
    """What a valid bearer token grants: a company and a set of scopes."""

    company: Company
    scopes: frozenset[str]
    token: object  # SecretToken or the swapped AccessToken


def issue_secret_token(
    *, company: Company, name: str, created_by: User | None = None, expires_at: datetime | None = None
) -> tuple[SecretToken, str]:
    """Create a secret token; returns the row and the plain value, which is never stored."""
    raw = SECRET_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = SecretToken.objects.create(
        company=company,
        name=name,
        token_hash=hash_token(raw),
        prefix=raw[: len(SECRET_TOKEN_PREFIX) + 6],
        scope=" ".join(SCIM_SCOPES),
        created_by=created_by,
        expires_at=expires_at,
    )
    return token, raw


def revoke_secret_token(*, token: SecretToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def find_bearer_credential(raw: str) -> BearerCredential | None:
    """Resolve a bearer token to its company and scopes, or None if it is not usable.

    Secret tokens are looked up by hash; anything else is tried as an OAuth access token
    issued by django-oauth-toolkit (looked up by its checksum). The person who created or
    authorized the token is deliberately not consulted.
    """
    if not raw:
        return None
    now = timezone.now()
    if raw.startswith(SECRET_TOKEN_PREFIX):
        token = SecretToken.objects.usable().select_related("company").filter(token_hash=hash_token(raw)).first()
        if token is None:
            return None
        _touch(token, now)
        return BearerCredential(company=token.company, scopes=frozenset(token.scopes), token=token)

    AccessToken = get_access_token_model()
    token = (
        AccessToken.objects.select_related("company").filter(token_checksum=hash_token(raw), expires__gt=now).first()
    )
    if token is None:
        return None
    _touch(token, now)
    return BearerCredential(company=token.company, scopes=frozenset(token.scope.split()), token=token)


def _touch(token, now: datetime) -> None:
    last = token.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
        type(token).objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
