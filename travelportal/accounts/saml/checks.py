"""The rules a SAML Response must meet before anyone is signed in, as pure functions.

``read_response`` summarises the Response XML (parsed with defusedxml) and
``refusal_reason`` applies the rules below to that summary, returning the first one broken
(or None). These run before pysaml2 verifies the signatures, on the unverified document,
so they can only refuse; pysaml2 then checks the signatures and again the conditions, of
the signed assertion, and only what it verified is used to find the person. The rules,
from SAML 2.0 Core (§2.5, §3.2.2) and the Web Browser SSO Profile (Profiles §4.1.4):

1. The Response is one Response with exactly one plain (unencrypted) Assertion.
2. A non-success top-level status means the identity provider refused: nobody signs in.
3. The issuer of the Response and of the Assertion, where given, is the company's
   identity provider (a document of another company's provider is refused here even
   before its signature is looked at).
4. The assertion id has not been used before (replay), while it could still be valid.
5. ``InResponseTo`` (of the Response and of the bearer SubjectConfirmationData) names an
   AuthnRequest the portal sent for this company and has not had answered; an
   unsolicited (IdP-initiated) Response is refused (there is no company option to allow it).
5a. That AuthnRequest was started in this browser: the nonce of the short-lived cookie
   the portal set when it sent the request matches the one stored with it. A Response
   got in one browser and posted from another (login CSRF: the attacker's own signed
   Response, posted from the victim's browser) is refused.
6. ``Destination`` of the Response and ``Recipient`` of the bearer confirmation are the
   company's reply URL.
7. An AudienceRestriction names the company's SP entity ID.
8. Now lies within NotBefore and NotOnOrAfter of the Conditions and before NotOnOrAfter
   of the bearer confirmation, each widened by ``skew`` (clocks differ a little).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field

from defusedxml import ElementTree

from travelportal.accounts.models import SsoSignInEvent

Reason = SsoSignInEvent.Reason

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
MAX_RESPONSE_BYTES = 512 * 1024


class UnreadableResponse(ValueError):
    """The posted SAMLResponse is no SAML Response."""


@dataclass(frozen=True)
class ResponseSummary:
    status: str
    issuers: tuple[str, ...]
    in_response_to: tuple[str, ...]
    destination: str
    recipients: tuple[str, ...]
    audiences: tuple[str, ...]
    assertion_id: str
    name_id: str
    not_before: dt.datetime | None
    not_on_or_after: tuple[dt.datetime, ...] = field(default=())
    encrypted: bool = False


@dataclass(frozen=True)
class Expectations:
    issuer: str
    audience: str
    acs_url: str
    skew: dt.timedelta


def decode_response(posted: str) -> bytes:
    """The XML of an HTTP-POST ``SAMLResponse`` (base64, Bindings §3.5.4)."""
    if not posted or len(posted) > MAX_RESPONSE_BYTES * 4 // 3 + 4:
        raise UnreadableResponse("No SAMLResponse, or one too large.")
    try:
        return base64.b64decode("".join(posted.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnreadableResponse("SAMLResponse is not base64.") from exc


def read_response(xml: bytes) -> ResponseSummary:
    try:
        root = ElementTree.fromstring(xml)
    except Exception as exc:  # ParseError and defusedxml's refusals (entities, DTDs)
        raise UnreadableResponse("SAMLResponse is not well-formed XML.") from exc
    if root.tag != f"{{{SAMLP}}}Response":
        raise UnreadableResponse("SAMLResponse holds no Response.")
    status = root.find(f"{{{SAMLP}}}Status/{{{SAMLP}}}StatusCode")
    assertions = root.findall(f"{{{SAML}}}Assertion")
    encrypted = bool(root.findall(f"{{{SAML}}}EncryptedAssertion"))
    status_value = status.get("Value", "") if status is not None else ""
    if status_value == SUCCESS and (len(assertions) != 1 or encrypted):
        raise UnreadableResponse("The Response must carry exactly one unencrypted Assertion.")
    assertion = assertions[0] if assertions else None
    issuers = [_text(root.find(f"{{{SAML}}}Issuer"))]
    in_response_to = [root.get("InResponseTo", "")]
    recipients: list[str] = []
    not_on_or_after: list[dt.datetime] = []
    audiences: list[str] = []
    not_before = None
    name_id = ""
    assertion_id = ""
    if assertion is not None:
        assertion_id = assertion.get("ID", "")
        issuers.append(_text(assertion.find(f"{{{SAML}}}Issuer")))
        name_id = _text(assertion.find(f"{{{SAML}}}Subject/{{{SAML}}}NameID"))
        for confirmation in assertion.findall(f"{{{SAML}}}Subject/{{{SAML}}}SubjectConfirmation"):
            if confirmation.get("Method") != BEARER:
                continue
            data = confirmation.find(f"{{{SAML}}}SubjectConfirmationData")
            data = data if data is not None else ElementTree.fromstring("<x/>")
            recipients.append(data.get("Recipient", ""))
            in_response_to.append(data.get("InResponseTo", ""))
            if data.get("NotOnOrAfter"):
                not_on_or_after.append(_instant(data.get("NotOnOrAfter")))
        conditions = assertion.find(f"{{{SAML}}}Conditions")
        if conditions is not None:
            if conditions.get("NotBefore"):
                not_before = _instant(conditions.get("NotBefore"))
            if conditions.get("NotOnOrAfter"):
                not_on_or_after.append(_instant(conditions.get("NotOnOrAfter")))
            for restriction in conditions.findall(f"{{{SAML}}}AudienceRestriction"):
                audiences.extend(_text(audience) for audience in restriction.findall(f"{{{SAML}}}Audience"))
    return ResponseSummary(
        status=status_value,
        issuers=tuple(issuer for issuer in issuers if issuer),
        in_response_to=tuple(in_response_to),
        destination=root.get("Destination", ""),
        recipients=tuple(recipients),
        audiences=tuple(audiences),
        assertion_id=assertion_id,
        name_id=name_id,
        not_before=not_before,
        not_on_or_after=tuple(not_on_or_after),
        encrypted=encrypted,
    )


def refusal_reason(
    summary: ResponseSummary,
    expected: Expectations,
    *,
    now: dt.datetime,
    request_known: bool,
    request_of_this_browser: bool,
    assertion_seen: bool,
) -> str | None:
    """The first rule of the module docstring ``summary`` breaks, as a ``Reason``, or
    None. ``request_known``: whether the portal has an open AuthnRequest of this company
    with the Response's InResponseTo; ``request_of_this_browser``: whether that request
    was started in the browser posting the Response (rule 5a); ``assertion_seen``:
    whether the assertion id was used before."""
    if summary.status != SUCCESS:
        return Reason.FAILED_AT_IDP
    if not summary.issuers or any(issuer != expected.issuer for issuer in summary.issuers):
        return Reason.WRONG_ISSUER
    if not summary.assertion_id:
        return Reason.MALFORMED
    if assertion_seen:
        return Reason.REPLAYED
    if not request_known or len(set(summary.in_response_to)) != 1:
        return Reason.UNSOLICITED
    if not request_of_this_browser:
        return Reason.OTHER_BROWSER
    if summary.destination and summary.destination != expected.acs_url:
        return Reason.WRONG_RECIPIENT
    if not summary.recipients or any(recipient != expected.acs_url for recipient in summary.recipients):
        return Reason.WRONG_RECIPIENT
    if expected.audience not in summary.audiences:
        return Reason.WRONG_AUDIENCE
    if summary.not_before is not None and now + expected.skew < summary.not_before:
        return Reason.NOT_YET_VALID
    if any(now - expected.skew >= limit for limit in summary.not_on_or_after):
        return Reason.EXPIRED
    return None


def expires_at(summary: ResponseSummary, *, skew: dt.timedelta, at_most: dt.datetime) -> dt.datetime:
    """Until when the assertion could be accepted, so how long its id must be remembered."""
    limits = [limit + skew for limit in summary.not_on_or_after]
    return min([*limits, at_most]) if limits else at_most


def _text(element) -> str:
    return (element.text or "").strip() if element is not None else ""


def _instant(value: str) -> dt.datetime:
    """An xs:dateTime in UTC, as SAML requires (Core §1.3.3); fractions are allowed."""
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise UnreadableResponse(f"{value!r} is not a SAML time.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
