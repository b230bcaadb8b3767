"""Certificates: the key pair the portal signs AuthnRequests with (one per company), and
what the portal shows and checks of an identity provider's signing certificate."""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

# Long enough that rotation is a choice, not a chore; Entra does not check SP certificate
# expiry for SP-initiated sign-in, and the page shows the date.
SP_CERTIFICATE_DAYS = 3 * 365

_PEM_BODY = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


class CertificateError(ValueError):
    """Text that is not one X.509 certificate; the message says what to paste."""


@dataclass(frozen=True)
class KeyPair:
    private_key_pem: str
    certificate_pem: str
    not_valid_after: dt.datetime


@dataclass(frozen=True)
class CertificateFacts:
    pem: str
    fingerprint: str
    subject: str
    not_valid_before: dt.datetime
    not_valid_after: dt.datetime


def generate_key_pair(*, common_name: str, now: dt.datetime) -> KeyPair:
    """A fresh RSA-2048 key and a self-signed certificate for it (SAML trusts the key
    the metadata names, not a certificate chain)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    not_after = now + dt.timedelta(days=SP_CERTIFICATE_DAYS)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        not_valid_after=certificate.not_valid_after_utc,
    )


def read_certificate(text: str) -> CertificateFacts:
    """One certificate as PEM or as the bare base64 of its DER (how metadata and Entra's
    "Certificate (Base64)" download carry it), normalised to PEM."""
    text = (text or "").strip()
    match = _PEM_BODY.search(text)
    body = match.group(1) if match else text
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
        certificate = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise CertificateError(
            "That is not a certificate: paste the PEM text (-----BEGIN CERTIFICATE-----…) "
            "or Entra's Certificate (Base64)."
        ) from exc
    return CertificateFacts(
        pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        subject=certificate.subject.rfc4514_string()[:500],
        not_valid_before=certificate.not_valid_before_utc,
        not_valid_after=certificate.not_valid_after_utc,
    )


def certificate_body(pem: str) -> str:
    """The base64 of a PEM certificate without its armour, as metadata's X509Certificate."""
    match = _PEM_BODY.search(pem)
    return "".join((match.group(1) if match else pem).split())
