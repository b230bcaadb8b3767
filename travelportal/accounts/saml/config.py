"""pysaml2's configuration for one company's service provider, built from the database.

This is the one place a ``saml2.config.SPConfig`` is made. The company's identity
provider is given to pysaml2 as inline metadata written from the stored entity ID, login
URL and certificates, so pysaml2 trusts exactly those certificates (both, during a
rollover) and nothing it could fetch. pysaml2 reads the SP key and certificate from files,
so they are written to a private temporary folder for the client's lifetime.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from travelportal.accounts.models import SsoConfiguration
from travelportal.accounts.saml.keys import certificate_body
from travelportal.companies.models import Company


@dataclass(frozen=True)
class SpUrls:
    """What the admin copies into Entra: Identifier (entity ID), Reply URL (ACS) and
    Sign on URL; the entity ID is also where the metadata is served."""

    entity_id: str
    acs_url: str
    login_url: str


def public_base_url(request: HttpRequest) -> str:
    """The configured PUBLIC_BASE_URL, else this request's scheme and host."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/")
    return request.build_absolute_uri("/").rstrip("/")


def sp_urls(*, company: Company, base_url: str) -> SpUrls:
    return SpUrls(
        entity_id=base_url + reverse("saml:metadata", args=[company.slug]),
        acs_url=base_url + reverse("saml:acs", args=[company.slug]),
        login_url=base_url + reverse("saml:login", args=[company.slug]),
    )


def xmlsec_binary() -> str:
    """The xmlsec1 pysaml2 signs and verifies with (XMLSEC1_PATH, else the one on PATH)."""
    path = settings.XMLSEC1_PATH or shutil.which("xmlsec1")
    if not path or not os.path.exists(path):
        raise ImproperlyConfigured("xmlsec1 is not installed (apt-get install -y xmlsec1, or make xmlsec).")
    return path


def idp_metadata_xml(configuration: SsoConfiguration) -> str:
    """SAML 2.0 metadata for the company's identity provider as stored: its entity ID,
    its HTTP-Redirect login URL and every stored signing certificate."""
    keys = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{certificate_body(certificate.pem)}"
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        for certificate in configuration.idp_certificates.all()
    )
    return (
        '<?xml version="1.0"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID={quoteattr(configuration.idp_entity_id)}>'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{keys}"
        f'<md:SingleSignOnService Binding="{BINDING_HTTP_REDIRECT}" Location={quoteattr(configuration.idp_sso_url)}/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


@contextmanager
def saml_client(*, configuration: SsoConfiguration, urls: SpUrls) -> Iterator[Saml2Client]:
    """A pysaml2 client acting as ``configuration``'s service provider."""
    with tempfile.TemporaryDirectory(prefix="sso-") as folder:
        key_file = os.path.join(folder, "sp.key")
        cert_file = os.path.join(folder, "sp.crt")
        for path, content in ((key_file, configuration.sp_private_key), (cert_file, configuration.sp_certificate)):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(content)
        config = SPConfig()
        config.load(
            {
                "entityid": urls.entity_id,
                "xmlsec_binary": xmlsec_binary(),
                "key_file": key_file,
                "cert_file": cert_file,
                # The same skew the portal's own time checks allow (checks.py).
                "accepted_time_diff": settings.SSO_CLOCK_SKEW_SECONDS,
                "allow_unknown_attributes": True,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                "metadata": {
                    "inline": [idp_metadata_xml(configuration)] if configuration.has_identity_provider else []
                },
                "service": {
                    "sp": {
                        "name": configuration.company.name,
                        "endpoints": {
                            "assertion_consumer_service": [(urls.acs_url, BINDING_HTTP_POST)],
                        },
                        "authn_requests_signed": True,
                        # Entra signs the assertion by default ("Sign SAML assertion"); an
                        # assertion only covered by a signed Response is refused too.
                        "want_assertions_signed": True,
                        "want_response_signed": False,
                        "allow_unsolicited": False,
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                        "name_id_format_allow_create": False,
                    }
                },
            }
        )
        yield Saml2Client(config=config)
