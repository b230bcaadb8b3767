"""The pure rules of travelportal.accounts.saml.checks and the reading of metadata and claims."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from travelportal.accounts.saml import checks
from travelportal.accounts.saml.federation import MetadataError, parse_metadata
from travelportal.accounts.saml.services import normalise_domains, read_claims

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
SKEW = dt.timedelta(seconds=60)
EXPECTED = checks.Expectations(
    issuer="https://sts.windows.net/t/",
    audience="https://p/sso/saml/acme/metadata/",
    acs_url="https://p/acs/",
    skew=SKEW,
)


def summary(**overrides):
    values = {
        "status": checks.SUCCESS,
        "issuers": (EXPECTED.issuer, EXPECTED.issuer),
        "in_response_to": ("id-1", "id-1"),
        "destination": EXPECTED.acs_url,
        "recipients": (EXPECTED.acs_url,),
        "audiences": (EXPECTED.audience,),
        "assertion_id": "_a1",
        "name_id": "tom@acme.example",
        "not_before": NOW - dt.timedelta(minutes=1),
        "not_on_or_after": (NOW + dt.timedelta(minutes=5),),
    }
    return checks.ResponseSummary(**{**values, **overrides})


def reason(value, *, request_known=True, request_of_this_browser=True, assertion_seen=False, now=NOW):
    return checks.refusal_reason(
        value,
        EXPECTED,
        now=now,
        request_known=request_known,
        request_of_this_browser=request_of_this_browser,
        assertion_seen=assertion_seen,
    )


@pytest.mark.parametrize(
    ("changes", "options", "expected"),
    [
        ({}, {}, None),
        ({"status": "urn:oasis:names:tc:SAML:2.0:status:Requester"}, {}, "failed_at_idp"),
        ({"issuers": ("https://other/", EXPECTED.issuer)}, {}, "wrong_issuer"),
        ({"issuers": ()}, {}, "wrong_issuer"),
        ({}, {"assertion_seen": True}, "replayed"),
        ({}, {"request_known": False}, "unsolicited"),
        ({}, {"request_known": False, "request_of_this_browser": False}, "unsolicited"),
        ({}, {"request_of_this_browser": False}, "other_browser"),
        ({"in_response_to": ("id-1", "id-2")}, {}, "unsolicited"),
        ({"destination": "https://p/other/"}, {}, "wrong_recipient"),
        ({"recipients": ()}, {}, "wrong_recipient"),
        ({"recipients": (EXPECTED.acs_url, "https://p/other/")}, {}, "wrong_recipient"),
        ({"audiences": ("https://p/sso/saml/globex/metadata/",)}, {}, "wrong_audience"),
        ({"audiences": ()}, {}, "wrong_audience"),
        ({"not_before": NOW + dt.timedelta(seconds=61)}, {}, "not_yet_valid"),
        ({"not_before": NOW + dt.timedelta(seconds=59)}, {}, None),
        ({"not_on_or_after": (NOW - dt.timedelta(seconds=60),)}, {}, "expired"),
        ({"not_on_or_after": (NOW - dt.timedelta(seconds=59),)}, {}, None),
    ],
)
def test_each_rule(changes, options, expected):
    assert reason(summary(**changes), **options) == expected


@given(offset=st.integers(min_value=-3600, max_value=3600))
def test_an_assertion_is_accepted_exactly_within_its_window_widened_by_the_skew(offset):
    now = NOW + dt.timedelta(seconds=offset)
    valid = summary(not_before=NOW, not_on_or_after=(NOW + dt.timedelta(minutes=5),))
    inside = NOW - SKEW <= now < NOW + dt.timedelta(minutes=5) + SKEW
    assert (reason(valid, now=now) is None) == inside


def test_the_replay_record_lasts_until_the_assertion_expires():
    limit = NOW + dt.timedelta(minutes=5)
    assert checks.expires_at(summary(), skew=SKEW, at_most=NOW + dt.timedelta(days=1)) == limit + SKEW
    assert checks.expires_at(summary(not_on_or_after=()), skew=SKEW, at_most=NOW) == NOW


@pytest.mark.parametrize("xml", [b"", b"<x/>", b"<<", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'])
def test_what_is_no_response_is_unreadable(xml):
    with pytest.raises(checks.UnreadableResponse):
        checks.read_response(xml)


def test_an_encrypted_assertion_is_unreadable():
    xml = (
        b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        b'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">'
        b'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        b"<saml:EncryptedAssertion/></samlp:Response>"
    )
    with pytest.raises(checks.UnreadableResponse, match="unencrypted"):
        checks.read_response(xml)


def test_entras_claims_are_read_by_the_end_of_their_names():
    claims = read_claims(
        {
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": ["Tom"],
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": ["Traveller"],
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": ["tom@acme.example"],
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/EmailAddress": ["", "tom@acme.example"],
            "http://schemas.microsoft.com/identity/claims/objectidentifier": ["8f3c"],
        }
    )
    assert (claims.given_name, claims.surname, claims.name, claims.email) == (
        "Tom",
        "Traveller",
        "tom@acme.example",
        "tom@acme.example",
    )


def test_domains_are_normalised():
    assert normalise_domains("@Acme.example, acme.example\nsub.acme-corp.example.") == [
        "acme.example",
        "sub.acme-corp.example",
    ]


@pytest.mark.parametrize("text", ["localhost", "a..b", "bad_domain.example", "-" * 300 + ".example"])
def test_what_is_no_domain_is_refused(text):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        normalise_domains(text)


ENTRA_METADATA = """<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor ID="_x" entityID="https://sts.windows.net/tenant-id/" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
  <RoleDescriptor xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
      xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706" xsi:type="fed:SecurityTokenServiceType"
      protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706"/>
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>
      <X509Certificate>{one}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
    <KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>
      <X509Certificate>{two}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
      Location="https://login.microsoftonline.com/tenant-id/saml2"/>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
      Location="https://login.microsoftonline.com/tenant-id/saml2"/>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
      Location="https://login.microsoftonline.com/tenant-id/saml2"/>
  </IDPSSODescriptor>
</EntityDescriptor>"""


def _base64_certificate(name):
    from travelportal.accounts.saml.keys import certificate_body, generate_key_pair

    return certificate_body(generate_key_pair(common_name=name, now=NOW).certificate_pem)


def test_entra_federation_metadata_during_a_rollover_gives_both_certificates():
    provider = parse_metadata(ENTRA_METADATA.format(one=_base64_certificate("one"), two=_base64_certificate("two")))

    assert provider.entity_id == "https://sts.windows.net/tenant-id/"
    assert provider.sso_url == "https://login.microsoftonline.com/tenant-id/saml2"
    assert [c.subject for c in provider.certificates] == ["CN=one", "CN=two"]


def test_metadata_without_a_certificate_is_refused():
    document = ENTRA_METADATA.format(one="", two="").replace("<X509Certificate></X509Certificate>", "")
    with pytest.raises(MetadataError, match="no signing certificate"):
        parse_metadata(document)
