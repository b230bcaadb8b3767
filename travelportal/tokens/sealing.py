"""The pair a refresh token was rotated into, sealed so that only that refresh token opens it.

OAuth tokens are stored only as their SHA-256 (RFC 9700 §4.14; django-oauth-toolkit's
``token_checksum``). The refresh grace period (RFC 6749 §6 leaves replay handling to the
server; Entra retries a refresh whose answer it lost) must still answer a retry with the
pair it issued the first time, which is no longer stored. So that pair is kept encrypted
(AES-256-GCM) under a key derived (HKDF-SHA256) from the previous refresh token itself:
only its holder, who may ask for the pair anyway during the grace period, can open it,
and a database dump, which holds only that token's SHA-256, cannot. The key derivation is
keyed differently from the checksum, so the stored checksum says nothing about the key.
"""

from __future__ import annotations

import base64
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"travelportal oauth refresh-token successor v1"
_NONCE_BYTES = 12


def _key(previous_refresh_token: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(previous_refresh_token.encode())


def seal_successor(previous_refresh_token: str, *, access_token: str, refresh_token: str) -> str:
    """The access and refresh token ``previous_refresh_token`` was rotated into, sealed."""
    nonce = os.urandom(_NONCE_BYTES)
    plain = json.dumps({"access_token": access_token, "refresh_token": refresh_token}).encode()
    sealed = AESGCM(_key(previous_refresh_token)).encrypt(nonce, plain, _INFO)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def open_successor(previous_refresh_token: str, sealed: str) -> tuple[str, str] | None:
    """``(access_token, refresh_token)`` sealed by ``seal_successor``, or None when there is
    no seal or ``previous_refresh_token`` is not the token that sealed it."""
    if not sealed:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        plain = AESGCM(_key(previous_refresh_token)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _INFO)
    except (InvalidTag, ValueError):
        return None
    pair = json.loads(plain)
    return pair["access_token"], pair["refresh_token"]
