"""Reading an identity provider's SAML metadata (Entra's federation metadata document):
its entity ID, its HTTP-Redirect sign-on URL and its signing certificates.

Entra publishes the document at
``https://login.microsoftonline.com/<tenant>/federationmetadata/2007-06/federationmetadata.xml?appid=<app>``;
during a certificate rollover its IDPSSODescriptor holds both certificates, and both are
taken (SAML 2.0 Metadata §2.4.1.1: a KeyDescriptor without ``use`` serves signing too).
The document is parsed with defusedxml (no entities, no external references). Fetching a
URL follows the webhooks' address rules (``travelportal.webhooks.addresses``), so an
admin can't make the portal read its own network.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass

from defusedxml import ElementTree
from django.conf import settings

from travelportal.accounts.saml.keys import CertificateError, CertificateFacts, read_certificate
from travelportal.webhooks.addresses import UnsafeUrl, check_url
from travelportal.webhooks.transport import connect_to

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
MAX_METADATA_BYTES = 1024 * 1024
FETCH_TIMEOUT_SECONDS = 10
# One or two: the current certificate and, during a rollover, the next one.
MAX_CERTIFICATES = 2


class MetadataError(ValueError):
    """Metadata the portal can't use; the message says why, for the admin."""


@dataclass(frozen=True)
class IdentityProvider:
    entity_id: str
    sso_url: str
    certificates: tuple[CertificateFacts, ...]


def parse_metadata(document: bytes | str) -> IdentityProvider:
    """The identity provider an EntityDescriptor (or the first of an EntitiesDescriptor)
    describes; raises ``MetadataError`` when it lacks what sign-in needs."""
    if isinstance(document, str):
        document = document.encode()
    if len(document) > MAX_METADATA_BYTES:
        raise MetadataError("The metadata document is larger than 1 MB.")
    try:
        root = ElementTree.fromstring(document)
    except Exception as exc:  # ParseError and defusedxml's refusals (entities, DTDs)
        raise MetadataError("The metadata is not a well-formed XML document.") from exc
    if root.tag == f"{{{MD}}}EntitiesDescriptor":
        root = next(iter(root.iter(f"{{{MD}}}EntityDescriptor")), None)
    if root is None or root.tag != f"{{{MD}}}EntityDescriptor":
        raise MetadataError("The document is not SAML 2.0 metadata (no EntityDescriptor).")
    entity_id = (root.get("entityID") or "").strip()
    idp = next(
        (
            d
            for d in root.findall(f"{{{MD}}}IDPSSODescriptor")
            if PROTOCOL in (d.get("protocolSupportEnumeration") or "")
        ),
        None,
    )
    if not entity_id or idp is None:
        raise MetadataError("The metadata describes no SAML 2.0 identity provider (IDPSSODescriptor).")
    sso_url = next(
        (
            (service.get("Location") or "").strip()
            for service in idp.findall(f"{{{MD}}}SingleSignOnService")
            if service.get("Binding") == HTTP_REDIRECT
        ),
        "",
    )
    if not sso_url.startswith(("https://", "http://")):
        raise MetadataError("The metadata has no HTTP-Redirect SingleSignOnService (the login URL).")
    certificates: list[CertificateFacts] = []
    for descriptor in idp.findall(f"{{{MD}}}KeyDescriptor"):
        if descriptor.get("use", "signing") != "signing":
            continue
        for element in descriptor.iter(f"{{{DS}}}X509Certificate"):
            try:
                facts = read_certificate(element.text or "")
            except CertificateError as exc:
                raise MetadataError("A signing certificate in the metadata can't be read.") from exc
            if all(facts.fingerprint != known.fingerprint for known in certificates):
                certificates.append(facts)
    if not certificates:
        raise MetadataError("The metadata has no signing certificate.")
    if len(certificates) > MAX_CERTIFICATES:
        raise MetadataError(f"The metadata has {len(certificates)} signing certificates; the portal keeps two.")
    return IdentityProvider(entity_id=entity_id, sso_url=sso_url, certificates=tuple(certificates))


def fetch_metadata(url: str) -> bytes:
    """GET ``url`` (https, a public address; http and private addresses only with
    SSO_METADATA_ALLOW_PRIVATE_URLS), at most 1 MB, no redirects followed."""
    try:
        target = check_url(url, allow_private=settings.SSO_METADATA_ALLOW_PRIVATE_URLS)
    except UnsafeUrl as exc:
        raise MetadataError(str(exc)) from exc
    connection = connect_to(target, timeout=FETCH_TIMEOUT_SECONDS)
    try:
        connection.request("GET", target.path, headers={"Accept": "application/samlmetadata+xml, application/xml"})
        response = connection.getresponse()
        body = response.read(MAX_METADATA_BYTES + 1)
    except (OSError, http.client.HTTPException) as exc:
        raise MetadataError(f"The metadata URL could not be read ({type(exc).__name__}).") from exc
    finally:
        connection.close()
    if response.status != 200:
        raise MetadataError(f"The metadata URL answered HTTP {response.status}, not 200.")
    if len(body) > MAX_METADATA_BYTES:
        raise MetadataError("The metadata document is larger than 1 MB.")
    return body
