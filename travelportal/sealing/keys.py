"""Encrypting secrets the portal must read back (webhook signing secrets, SAML SP private
keys, secrets in remembered API answers) under keys held outside the database.

Fernet (AES-128-CBC with HMAC-SHA256, https://github.com/fernet/spec) under
``FIELD_ENCRYPTION_KEYS``, comma-separated Fernet keys from the environment, combined in a
``MultiFernet``: the first key encrypts, every key decrypts, so a key is rotated by
putting a new one first, running ``manage.py reencrypt_secrets`` and then dropping the old
one. A database dump without the environment opens nothing.

Why not ``travelportal.tokens.sealing``: that one seals a refresh token's successor under a
key derived from the previous refresh token itself, so only its holder can open it and the
server keeps no key at all. Here the server itself must open what it stored (to sign a
delivery, an AuthnRequest) at any time, so the key has to be the server's, from its
environment, and rotatable; the two share no key and no format on purpose.

With DEBUG on and no keys set, settings derive a development key from SECRET_KEY
(``development_key``); with DEBUG off they refuse to start without keys, like SECRET_KEY.
Settings import this module, so it imports nothing of Django's but its exceptions.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

VARIABLE = "FIELD_ENCRYPTION_KEYS"
_DEVELOPMENT_INFO = b"travelportal field encryption development key v1"


class SealError(ValueError):
    """A stored value that none of the configured keys opens (a missing key, or not ciphertext)."""


def development_key(secret_key: str) -> str:
    """A Fernet key derived (HKDF-SHA256) from SECRET_KEY, for DEBUG only: what is sealed
    with it is as safe as SECRET_KEY, which in development is no secret at all."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DEVELOPMENT_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw).decode()


def check_keys(keys: list[str]) -> list[str]:
    """``keys`` if each is a Fernet key (32 url-safe base64 bytes); else ImproperlyConfigured
    naming the variable and the position of the bad key (never the key)."""
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"{VARIABLE} must be comma-separated Fernet keys (32 url-safe base64-encoded bytes); "
                f"key {position} is not one. Generate one with: python -c "
                "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            ) from None
    return keys


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    from django.conf import settings

    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def seal(plain: str) -> str:
    """``plain`` encrypted under the first key, as url-safe base64 text."""
    return _current().encrypt(plain.encode()).decode("ascii")


def unseal(token: str) -> str:
    """The plain text of ``token`` (sealed under any configured key); SealError if none opens it."""
    try:
        return _current().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise SealError(f"No key in {VARIABLE} opens this value.") from exc


def is_sealed_under_first_key(token: str) -> bool:
    from django.conf import settings

    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True


def reseal(token: str) -> str:
    """``token`` encrypted again under the first key (MultiFernet.rotate); SealError if no key opens it."""
    try:
        return _current().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise SealError(f"No key in {VARIABLE} opens this value.") from exc
