"""Issuing, finding and revoking a company's API keys."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from travelportal.api.models import ApiKey
from travelportal.api.scopes import API_SCOPES
from travelportal.companies.models import Company
from travelportal.tokens.models import hash_token

API_KEY_PREFIX = "tpk_"
# Writing last_used_at on every request would make every read a write; once a minute is
# precise enough for the "last used" column (the same resolution as SCIM tokens).
LAST_USED_RESOLUTION_SECONDS = 60


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    """The given scopes in the order of ``API_SCOPES``; unknown ones or none are refused."""
    wanted = {scope.strip() for scope in scopes if scope.strip()}
    unknown = sorted(wanted - set(API_SCOPES))
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(unknown)}. Known: {', '.join(API_SCOPES)}."})
    if not wanted:
        raise ValidationError({"scopes": "Choose at least one scope."})
    return [scope for scope in API_SCOPES if scope in wanted]


def issue_api_key(
    *, company: Company, name: str, scopes: Iterable[str] | None = None, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create a key of ``company`` with ``scopes`` (every API scope when None); returns
    the row and the plain key, which is stored only as a hash and shown only this once."""
    name = name.strip()
    if not name or len(name) > ApiKey._meta.get_field("name").max_length:
        raise ValidationError({"name": "A key needs a name of 1 to 100 characters."})
    granted = clean_scopes(API_SCOPES if scopes is None else scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        company=company,
        name=name,
        key_hash=hash_token(raw),
        prefix=raw[: len(API_KEY_PREFIX) + 6],
        scope=" ".join(granted),
        expires_at=expires_at,
    )
    return key, raw


def revoke_api_key(*, key: ApiKey) -> None:
    """Revoke a key; requests using it are refused from the next one on. Idempotent."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])


def find_api_key(raw: str) -> ApiKey | None:
    """The usable key with this plain value, with its company, or None. Notes the use."""
    if not raw.startswith(API_KEY_PREFIX):
        return None
    key = ApiKey.objects.usable().select_related("company").filter(key_hash=hash_token(raw)).first()
    if key is not None:
        note_use(key)
    return key


def note_use(credential) -> None:
    """Set ``last_used_at`` of an API key or OAuth access token, at most once a minute."""
    now = timezone.now()
    last = credential.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
        type(credential).objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now
