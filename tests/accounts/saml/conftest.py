"""SSO tests run against a real SAML identity provider (``tests.accounts.saml.idp.TestIdp``,
pysaml2's own IdP with its own keys, on a local port). pysaml2 needs Debian's xmlsec1:
without it these tests skip, saying so, except in CI (``CI=true``), where they fail."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlencode

import pytest

from tests.accounts.saml.idp import TestIdp, authn_request_query

CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


@pytest.fixture(scope="session", autouse=True)
def _xmlsec1():
    if shutil.which("xmlsec1") is None:
        message = "xmlsec1 is not installed (make xmlsec, or apt-get install -y xmlsec1); SAML tests need it."
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def http_idp_allowed(settings):
    """The test identity provider's Login URL is plain http (127.0.0.1): accepted through
    the development setting, as in development; without it a Login URL must be https."""
    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def idp():
    provider = TestIdp(name="Acme Entra").start()
    yield provider
    provider.stop()


@pytest.fixture
def other_idp():
    """Globex's identity provider: its own entity ID and keys."""
    provider = TestIdp(name="Globex Entra").start()
    yield provider
    provider.stop()


def configure(company, provider, *, client=None, jit=False, require=False, base_url="http://testserver"):
    """``company``'s SSO set up with ``provider``, which trusts the portal's SP metadata.
    The test identity provider serves plain http on 127.0.0.1: its Login URL is allowed
    through the development setting, as in development (else https is required)."""
    from django.test import override_settings

    from travelportal.accounts.saml.keys import read_certificate
    from travelportal.accounts.saml.services import configure_identity_provider, set_up_sso, update_sso_options

    configuration, _ = set_up_sso(company=company)
    with override_settings(SSO_METADATA_ALLOW_PRIVATE_URLS=True):
        configure_identity_provider(
            configuration=configuration,
            entity_id=provider.entity_id,
            sso_url=provider.sso_url,
            certificates=[read_certificate(provider.certificate_pem)],
        )
    update_sso_options(configuration=configuration, require_sso=require, jit_provisioning=jit)
    provider.trust_sp(sp_metadata(company, base_url=base_url))
    configuration.refresh_from_db()
    return configuration


def sp_metadata(company, *, base_url="http://testserver") -> str:
    from saml2.metadata import entity_descriptor

    from travelportal.accounts.models import SsoConfiguration
    from travelportal.accounts.saml.config import saml_client, sp_urls

    configuration = SsoConfiguration.objects.get(company=company)
    with saml_client(configuration=configuration, urls=sp_urls(company=company, base_url=base_url)) as client:
        return entity_descriptor(client.config).to_string().decode()


@pytest.fixture
def acme_sso(company, idp):
    return configure(company, idp)


def start(client, slug="acme", next_url=None):
    """Start SP-initiated sign-in; returns the response (a redirect to the IdP)."""
    url = f"/sso/saml/{slug}/login/" + (f"?{urlencode({'next': next_url})}" if next_url else "")
    return client.get(url)


def sign_in_through(client, provider, username, *, slug="acme", next_url=None, **fault):
    """The whole round trip with the test client: start, the IdP reads the signed request
    and answers (with ``fault``, if any), the answer is POSTed to the reply URL."""
    started = start(client, slug, next_url)
    assert started.status_code == 302, started.content
    request = provider.read_authn_request(authn_request_query(started["Location"]))
    saml_response = provider.response_for(request, username, **fault)
    return client.post(f"/sso/saml/{slug}/acs/", {"SAMLResponse": saml_response}), saml_response


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")
