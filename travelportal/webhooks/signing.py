"""Signing a delivery, twice over the same raw body bytes.

* TravelPerk's scheme: ``Tk-webhook-hmac-sha256`` is the hex HMAC-SHA256 of the body,
  keyed with the subscription's secret as UTF-8 bytes. It does not cover the time, so a
  receiver that wants to refuse replays checks the Standard Webhooks header too.
* Standard Webhooks (https://www.standardwebhooks.com/, "Signature scheme"):
  ``webhook-signature: v1,<base64 HMAC-SHA256>`` of ``{webhook-id}.{webhook-timestamp}.{body}``,
  keyed with the secret's bytes: a secret the portal generates is ``whsec_`` followed by
  base64, and the key is the decoded base64, as the Standard Webhooks libraries expect;
  a secret an integrator chose (TravelPerk lets them) is used as its UTF-8 bytes. A
  receiver refuses a timestamp too far from its clock (the libraries allow 5 minutes)
  and a ``webhook-id`` it has already processed; the id stays the same across retries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SECRET_BYTES = 32


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def travelperk_signature(*, secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def standard_webhooks_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode("utf-8")


def standard_webhooks_signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_webhooks_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(*, secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The signing headers of one attempt."""
    return {
        "Tk-webhook-hmac-sha256": travelperk_signature(secret=secret, body=body),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_webhooks_signature(
            secret=secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }
