"""Single sign-on workflows: setting a company's SSO up, starting an SP-initiated sign-in
and completing it from the identity provider's Response.

Views, Django admin and the ``configure_sso`` command call these; each is keyword-only
and atomic. Every lookup starts from one company: the Response posted to one company's
reply URL is only ever checked against that company's identity provider, open requests,
used assertions and people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.response import IncorrectlySigned, StatusError, UnsolicitedResponse, VerificationError
from saml2.sigver import MissingKey, SignatureError, SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from travelportal.accounts.models import (
    IdpCertificate,
    NameIdAttribute,
    SamlRequest,
    SeenAssertion,
    SsoConfiguration,
    SsoEmailDomain,
    SsoSignInEvent,
)
from travelportal.accounts.saml import checks
from travelportal.accounts.saml.config import SpUrls, saml_client
from travelportal.accounts.saml.federation import MAX_CERTIFICATES, IdentityProvider
from travelportal.accounts.saml.keys import CertificateError, CertificateFacts, generate_key_pair, read_certificate
from travelportal.companies.models import Company, User
from travelportal.companies.people import PersonData, PersonError, create_person

logger = logging.getLogger(__name__)
Reason = SsoSignInEvent.Reason
Outcome = SsoSignInEvent.Outcome

# What the identity provider sends (Entra's claim URIs end in these; matched without case).
CLAIM_GIVEN_NAME = "givenname"
CLAIM_SURNAME = "surname"
CLAIM_NAME = "name"
CLAIM_EMAIL = "emailaddress"


# --- Setting up ----------------------------------------------------------------------


@transaction.atomic
def set_up_sso(*, company: Company) -> tuple[SsoConfiguration, bool]:
    """The company's SSO configuration, created with a fresh SP key pair when it has none;
    returns it and whether it was created."""
    existing = SsoConfiguration.objects.select_for_update().filter(company=company).first()
    if existing is not None:
        return existing, False
    pair = generate_key_pair(common_name=f"{company.slug} travel portal SSO", now=timezone.now())
    configuration = SsoConfiguration.objects.create(
        company=company,
        sp_private_key=pair.private_key_pem,
        sp_certificate=pair.certificate_pem,
        sp_certificate_expires_at=pair.not_valid_after,
    )
    return configuration, True


@transaction.atomic
def rotate_sp_certificate(*, configuration: SsoConfiguration) -> SsoConfiguration:
    """Replace the SP key pair. Entra does not verify AuthnRequest signatures unless told
    to, so sign-in goes on; the metadata shows the new certificate at once."""
    pair = generate_key_pair(common_name=f"{configuration.company.slug} travel portal SSO", now=timezone.now())
    configuration.sp_private_key = pair.private_key_pem
    configuration.sp_certificate = pair.certificate_pem
    configuration.sp_certificate_expires_at = pair.not_valid_after
    configuration.save(update_fields=["sp_private_key", "sp_certificate", "sp_certificate_expires_at", "updated_at"])
    return configuration


def read_certificates(texts: Iterable[str]) -> list[CertificateFacts]:
    """The non-empty texts as certificates, duplicates dropped; raises ``ValidationError``
    keyed ``certificates`` naming which one can't be read."""
    facts: list[CertificateFacts] = []
    for number, text in enumerate(texts, start=1):
        if not (text or "").strip():
            continue
        try:
            certificate = read_certificate(text)
        except CertificateError as exc:
            raise ValidationError({"certificates": f"Certificate {number}: {exc}"}) from exc
        if all(certificate.fingerprint != known.fingerprint for known in facts):
            facts.append(certificate)
    return facts


@transaction.atomic
def configure_identity_provider(
    *,
    configuration: SsoConfiguration,
    entity_id: str,
    sso_url: str,
    certificates: Sequence[CertificateFacts],
    metadata_url: str = "",
) -> list[str]:
    """Set the identity provider: its entity ID, login URL and one or two signing
    certificates (both trusted, so a rollover never locks anyone out). Returns what
    changed (empty when nothing did); raises ``ValidationError`` and writes nothing when
    a value is refused."""
    entity_id = entity_id.strip()
    sso_url = sso_url.strip()
    errors: dict[str, str] = {}
    if not entity_id or len(entity_id) > 1024:
        errors["idp_entity_id"] = "Enter Entra's Microsoft Entra Identifier (at most 1024 characters)."
    # The signed AuthnRequest and the person's sign-in go there: never over plain http,
    # except in development and tests (the local test identity provider).
    schemes = ["https", "http"] if settings.SSO_METADATA_ALLOW_PRIVATE_URLS else ["https"]
    try:
        URLValidator(schemes=schemes)(sso_url)
    except ValidationError:
        errors["idp_sso_url"] = (
            "The Login URL must start with https://."
            if sso_url.lower().startswith("http://")
            else "Enter Entra's Login URL (https://…)."
        )
    if not certificates:
        errors["certificates"] = "Add the identity provider's signing certificate."
    elif len(certificates) > MAX_CERTIFICATES:
        errors["certificates"] = "Keep at most two signing certificates: the current one and the next."
    if errors:
        raise ValidationError(errors)
    configuration = SsoConfiguration.objects.select_for_update().get(pk=configuration.pk)
    values = {"idp_entity_id": entity_id, "idp_sso_url": sso_url, "idp_metadata_url": metadata_url}
    changed = [name for name, value in values.items() if getattr(configuration, name) != value]
    for name in changed:
        setattr(configuration, name, values[name])
    if changed:
        configuration.save(update_fields=[*changed, "updated_at"])
    wanted = {certificate.fingerprint: certificate for certificate in certificates}
    stored = IdpCertificate.objects.filter(configuration=configuration)
    removed, _ = stored.exclude(fingerprint__in=list(wanted)).delete()
    have = set(stored.values_list("fingerprint", flat=True))
    IdpCertificate.objects.bulk_create(
        IdpCertificate(
            configuration=configuration,
            pem=certificate.pem,
            fingerprint=certificate.fingerprint,
            subject=certificate.subject,
            not_valid_before=certificate.not_valid_before,
            not_valid_after=certificate.not_valid_after,
        )
        for fingerprint, certificate in wanted.items()
        if fingerprint not in have
    )
    if removed or set(wanted) - have:
        changed.append("certificates")
    return changed


def configure_from_metadata(
    *, configuration: SsoConfiguration, provider: IdentityProvider, metadata_url: str = ""
) -> list[str]:
    """``configure_identity_provider`` with what the federation metadata says."""
    return configure_identity_provider(
        configuration=configuration,
        entity_id=provider.entity_id,
        sso_url=provider.sso_url,
        certificates=provider.certificates,
        metadata_url=metadata_url,
    )


def normalise_domains(text: str) -> list[str]:
    """Email domains, one per line or separated by commas or spaces, lower case; a leading
    ``@`` is dropped. Raises ``ValidationError`` keyed ``email_domains``."""
    domains: list[str] = []
    for raw in text.replace(",", " ").split():
        domain = raw.strip().lstrip("@").lower().rstrip(".")
        labels = domain.split(".")
        if (
            len(domain) > 253
            or len(labels) < 2
            or not all(label and len(label) <= 63 and label.replace("-", "").isalnum() for label in labels)
        ):
            raise ValidationError({"email_domains": f"{raw!r} is not an email domain (like example.com)."})
        if domain not in domains:
            domains.append(domain)
    return domains


@transaction.atomic
def update_sso_options(
    *,
    configuration: SsoConfiguration,
    require_sso: bool,
    jit_provisioning: bool,
    break_glass_admins: Iterable[User] = (),
    email_domains: Sequence[str] = (),
    name_id_attribute: str | None = None,
) -> list[str]:
    """Set Require SSO, just-in-time creation, the break-glass admins (who may still sign
    in with a password; company admins of this company only), the email domains the
    sign-in page finds the company by (each belongs to one company) and which attribute
    the NameID is matched against (``NameIdAttribute``; None keeps it). Returns what changed."""
    configuration = SsoConfiguration.objects.select_for_update().select_related("company").get(pk=configuration.pk)
    admins = list(break_glass_admins)
    if any(admin.company_id != configuration.company_id or not admin.is_company_admin for admin in admins):
        raise ValidationError({"break_glass_admins": "Break-glass people must be active admins of this company."})
    domains = [domain.lower() for domain in email_domains]
    taken = (
        SsoEmailDomain.objects.annotate(domain_lower=Lower("domain"))
        .filter(domain_lower__in=domains)
        .exclude(configuration=configuration)
        .values_list("domain", flat=True)
    )
    if taken:
        raise ValidationError({"email_domains": f"{', '.join(taken)} is already used by another company's SSO."})
    if require_sso and not configuration.has_identity_provider:
        raise ValidationError({"require_sso": "Set up the identity provider before requiring SSO."})
    if name_id_attribute is None:
        name_id_attribute = configuration.name_id_attribute
    if name_id_attribute not in NameIdAttribute.values:
        raise ValidationError({"name_id_attribute": "Choose userName or externalId."})
    values = {
        "require_sso": require_sso,
        "jit_provisioning": jit_provisioning,
        "name_id_attribute": name_id_attribute,
    }
    changed = [name for name, value in values.items() if getattr(configuration, name) != value]
    for name in changed:
        setattr(configuration, name, values[name])
    if changed:
        configuration.save(update_fields=[*changed, "updated_at"])
    if {admin.pk for admin in admins} != set(configuration.break_glass_admins.values_list("pk", flat=True)):
        configuration.break_glass_admins.set(admins)
        changed.append("break_glass_admins")
    stored = set(configuration.email_domains.values_list("domain", flat=True))
    if stored != set(domains):
        configuration.email_domains.exclude(domain__in=domains).delete()
        try:
            with transaction.atomic():
                SsoEmailDomain.objects.bulk_create(
                    SsoEmailDomain(configuration=configuration, domain=domain)
                    for domain in domains
                    if domain not in stored
                )
        except IntegrityError as exc:
            raise ValidationError({"email_domains": "A domain is already used by another company's SSO."}) from exc
        changed.append("email_domains")
    return changed


# --- Signing in ------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInStart:
    """Where to send the browser (the identity provider, with the signed request) and the
    nonce to keep in that browser's cookie until the Response comes back."""

    location: str
    browser_nonce: str


def browser_nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def start_sign_in(*, configuration: SsoConfiguration, urls: SpUrls, next_url: str = "") -> SignInStart:
    """Remember a new signed AuthnRequest (HTTP-Redirect binding, Bindings §3.4.4.1) bound
    to a fresh browser nonce (only its hash is stored) and return where to send the
    browser. The caller keeps the nonce in the browser; ``complete_sign_in`` accepts the
    Response to this request only with it (no login CSRF)."""
    with saml_client(configuration=configuration, urls=urls) as client:
        request_id, info = client.prepare_for_authenticate(
            entityid=configuration.idp_entity_id,
            relay_state="",
            binding=BINDING_HTTP_REDIRECT,
            sign=True,
            sigalg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
    nonce = secrets.token_urlsafe(32)
    SamlRequest.objects.create(
        company=configuration.company,
        request_id=request_id,
        browser_nonce_hash=browser_nonce_hash(nonce),
        next_url=next_url,
    )
    return SignInStart(location=dict(info["headers"])["Location"], browser_nonce=nonce)


@dataclass(frozen=True)
class SignInResult:
    """The outcome of one posted Response: ``user`` to sign in, or the ``reason`` not to."""

    user: User | None = None
    reason: str = ""
    next_url: str = ""
    created: bool = False
    name_id: str = ""
    # Whether ``name_id`` comes from an assertion whose signature pysaml2 verified; if
    # not, it is whatever the poster wrote and is recorded as unverified.
    name_id_verified: bool = False
    # For support staff: what the library or the people domain said, when it said more.
    detail: str = ""

    @property
    def refused(self) -> bool:
        return self.user is None


@dataclass(frozen=True)
class Claims:
    given_name: str = ""
    surname: str = ""
    name: str = ""
    email: str = ""


def read_claims(attributes: Mapping[str, Sequence[str]]) -> Claims:
    """The claims Entra sends, by the last segment of their names, first value each."""
    found: dict[str, str] = {}
    for name, values in attributes.items():
        key = name.rstrip("/").rsplit("/", 1)[-1].lower()
        value = next((str(v).strip() for v in values or () if str(v).strip()), "")
        if value and key not in found:
            found[key] = value
    return Claims(
        given_name=found.get(CLAIM_GIVEN_NAME, ""),
        surname=found.get(CLAIM_SURNAME, ""),
        name=found.get(CLAIM_NAME, ""),
        email=found.get(CLAIM_EMAIL, ""),
    )


def complete_sign_in(
    *,
    configuration: SsoConfiguration,
    urls: SpUrls,
    posted: str,
    browser_nonce: str = "",
    ip_address: str | None = None,
    now: dt.datetime | None = None,
) -> SignInResult:
    """Check a posted ``SAMLResponse`` and find (or, with just-in-time creation, create)
    the person it names; every outcome is recorded as an ``SsoSignInEvent`` and logged.

    The checks of ``checks`` come first, among them that the request the Response answers
    was started in this browser (``browser_nonce``, from the cookie ``start_sign_in``'s
    caller set), then pysaml2's signature and condition checks; the open request is used
    up and the assertion id remembered in one transaction, so a Response is accepted once.
    The person is matched by the verified NameID alone, against the attribute the company
    chose (userName without case, or externalId exactly), among this company's people;
    no other claim finds anyone. A NameID not verified is recorded as such."""
    now = now or timezone.now()
    result = _check_and_match(
        configuration=configuration, urls=urls, posted=posted, browser_nonce=browser_nonce, now=now
    )
    company = configuration.company
    shown = result.name_id if result.name_id_verified or not result.name_id else f"unverified NameID: {result.name_id}"
    if result.refused:
        logger.warning("SSO sign-in refused for company %s (%r): %s", company.slug, shown or "-", result.reason)
        outcome = Outcome.REFUSED
    else:
        logger.info("SSO sign-in of %s for company %s", result.user.username, company.slug)
        outcome = Outcome.CREATED if result.created else Outcome.SIGNED_IN
    SsoSignInEvent.objects.create(
        company=company,
        user=result.user,
        name_id=shown[:254],
        outcome=outcome,
        reason=result.reason if result.refused else "",
        detail=result.detail[:500],
        ip_address=ip_address,
        created_at=now,
    )
    return result


def _check_and_match(
    *, configuration: SsoConfiguration, urls: SpUrls, posted: str, browser_nonce: str, now: dt.datetime
) -> SignInResult:
    company = configuration.company
    if not configuration.has_identity_provider:
        return SignInResult(reason=Reason.NOT_CONFIGURED)
    try:
        summary = checks.read_response(checks.decode_response(posted))
    except checks.UnreadableResponse:
        return SignInResult(reason=Reason.MALFORMED)
    in_response_to = summary.in_response_to[0]
    skew = dt.timedelta(seconds=settings.SSO_CLOCK_SKEW_SECONDS)
    oldest = now - dt.timedelta(seconds=settings.SSO_REQUEST_MAX_AGE_SECONDS)
    request = (
        SamlRequest.objects.for_company(company).filter(request_id=in_response_to, created_at__gte=oldest).first()
        if in_response_to
        else None
    )
    seen = bool(summary.assertion_id) and (
        SeenAssertion.objects.for_company(company).filter(assertion_id=summary.assertion_id).exists()
    )
    expected = checks.Expectations(
        issuer=configuration.idp_entity_id, audience=urls.entity_id, acs_url=urls.acs_url, skew=skew
    )
    of_this_browser = (
        request is not None
        and bool(browser_nonce and request.browser_nonce_hash)
        and hmac.compare_digest(request.browser_nonce_hash, browser_nonce_hash(browser_nonce))
    )
    reason = checks.refusal_reason(
        summary,
        expected,
        now=now,
        request_known=request is not None,
        request_of_this_browser=of_this_browser,
        assertion_seen=seen,
    )
    if reason:
        return SignInResult(reason=reason, name_id=summary.name_id)
    verified = _verify(configuration=configuration, urls=urls, posted=posted, in_response_to=in_response_to)
    if isinstance(verified, tuple):
        reason, detail = verified
        return SignInResult(reason=reason, name_id=summary.name_id, detail=detail)
    name_id = (verified.name_id.text or "").strip() if verified.name_id is not None else ""
    claims = read_claims(verified.ava or {})
    with transaction.atomic():
        # Used up first: a second POST of the same Response finds neither.
        if not SamlRequest.objects.filter(pk=request.pk).delete()[0]:
            return SignInResult(reason=Reason.UNSOLICITED, name_id=name_id, name_id_verified=True)
        try:
            with transaction.atomic():
                SeenAssertion.objects.create(
                    company=company,
                    assertion_id=verified.assertion.id,
                    expires_at=checks.expires_at(summary, skew=skew, at_most=now + dt.timedelta(days=1)),
                )
        except IntegrityError:
            return SignInResult(reason=Reason.REPLAYED, name_id=name_id, name_id_verified=True)
        return _match_person(configuration=configuration, name_id=name_id, claims=claims, next_url=request.next_url)


def _verify(*, configuration: SsoConfiguration, urls: SpUrls, posted: str, in_response_to: str):
    """pysaml2's verification of the Response: the AuthnResponse, or (reason, detail)."""
    try:
        with saml_client(configuration=configuration, urls=urls) as client:
            response = client.parse_authn_request_response(
                posted, BINDING_HTTP_POST, outstanding={in_response_to: in_response_to}
            )
    except Exception as exc:  # pysaml2 raises bare Exception for some conditions
        return _reason_of(exc), f"{type(exc).__name__}: {exc}"
    if response is None or response.assertion is None:
        return Reason.MALFORMED, "pysaml2 returned no assertion."
    return response


def _reason_of(exc: Exception) -> str:
    """The refusal reason of one of pysaml2's exceptions."""
    text = str(exc).lower()
    if isinstance(exc, SignatureError):
        return Reason.UNSIGNED if "missing" in text else Reason.BAD_SIGNATURE
    if isinstance(exc, IncorrectlySigned | MissingKey | SigverError):
        return Reason.BAD_SIGNATURE
    if isinstance(exc, UnsolicitedResponse):
        return Reason.UNSOLICITED
    if isinstance(exc, ResponseLifetimeExceed):
        return Reason.EXPIRED
    if isinstance(exc, ToEarly):
        return Reason.NOT_YET_VALID
    if isinstance(exc, StatusError):
        return Reason.FAILED_AT_IDP
    if isinstance(exc, VerificationError) and "recipient" in text:
        return Reason.WRONG_RECIPIENT
    if "audience" in text:
        return Reason.WRONG_AUDIENCE
    logger.info("SSO response refused by pysaml2: %s: %s", type(exc).__name__, exc)
    return Reason.MALFORMED


def _match_person(*, configuration: SsoConfiguration, name_id: str, claims: Claims, next_url: str) -> SignInResult:
    """The person the verified NameID names, by the company's ``name_id_attribute`` only:
    the claims are the identity provider's too, but ``emailaddress`` and ``name`` are
    values a person may be able to change (Entra's mail, display name), so matching by
    them would let one person sign in as another."""
    company = configuration.company
    if not name_id:
        return SignInResult(reason=Reason.NO_IDENTITY)
    by_external_id = configuration.name_id_attribute == NameIdAttribute.EXTERNAL_ID
    people = User.objects.filter(company=company)
    people = people.filter(external_id=name_id) if by_external_id else people.filter(username__iexact=name_id)
    # A live account before a deleted one of the same userName or externalId.
    person = people.order_by(F("deleted_at").asc(nulls_first=True), "pk").first()
    found = {"name_id": name_id, "name_id_verified": True}
    if person is not None:
        if person.deleted_at is not None:
            return SignInResult(reason=Reason.DELETED, **found)
        if not person.is_active:
            return SignInResult(reason=Reason.DEACTIVATED, **found)
        return SignInResult(user=person, next_url=next_url, **found)
    if not configuration.jit_provisioning:
        return SignInResult(reason=Reason.UNKNOWN_PERSON, **found)
    # userName from the NameID, so a later SCIM create by the same UPN finds this person.
    # With externalId matching the NameID is an object id: it becomes the externalId, and
    # the userName is Entra's ``name`` claim (the UPN); create_person refuses one taken.
    fields = {"given_name": claims.given_name, "family_name": claims.surname, "work_email": claims.email}
    if by_external_id:
        fields |= {"username": claims.name or claims.email, "external_id": name_id}
    else:
        fields |= {"username": name_id}
    try:
        with transaction.atomic():
            person = create_person(company=company, data=PersonData(fields=fields, present=set()))
    except PersonError as exc:
        logger.warning("SSO just-in-time creation refused for company %s: %s", company.slug, exc.detail)
        return SignInResult(reason=Reason.CANNOT_CREATE, detail=exc.detail, **found)
    return SignInResult(user=person, next_url=next_url, created=True, **found)
