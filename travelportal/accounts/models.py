"""Sign-in state: which sessions belong to whom (so a person's sessions can be ended at
once), and each company's SAML single sign-on with its record of sign-ins and refusals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from travelportal.companies.models import Company, CompanyScopedQuerySet
from travelportal.sealing.fields import EncryptedTextField


class UserSession(models.Model):
    """A session a person signed in with. Django's session table can't be searched by
    person (the user id is inside the encoded data), so sign-in records the key here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="usersession_user_created_idx")]

    def __str__(self) -> str:
        return f"Session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"


class NameIdAttribute(models.TextChoices):
    """Which attribute of a person a Response's NameID names: Entra's default NameID is the
    user principal name (the SCIM userName); its ``objectidentifier`` format is the object
    id, which Entra's SCIM sends as externalId."""

    USERNAME = "username", "userName (user principal name)"
    EXTERNAL_ID = "external_id", "externalId (Entra object ID)"


class SsoConfiguration(models.Model):
    """One company's SAML 2.0 single sign-on: the portal as the company's service provider
    (its own key pair, generated per company and rotatable) and the company's identity
    provider (Entra), whose signing certificates are ``idp_certificates``.

    Sign-in with SSO is offered once the identity provider's entity ID and login URL are
    set (``has_identity_provider``); a response is accepted only when signed by one of its
    certificates."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="sso")
    # PEM. The key signs AuthnRequests; the certificate is published in the SP metadata.
    # Stored encrypted (travelportal.sealing): the portal signs with it, a dump must not.
    sp_private_key = EncryptedTextField("SP private key", editable=False)
    sp_certificate = models.TextField("SP certificate", editable=False)
    sp_certificate_expires_at = models.DateTimeField("SP certificate expires at")
    idp_entity_id = models.CharField("identity provider entity ID", max_length=1024, blank=True)
    idp_sso_url = models.URLField("identity provider login URL", max_length=2048, blank=True)
    # Where the identity provider's settings were last read from, when it was a URL.
    idp_metadata_url = models.URLField("federation metadata URL", max_length=2048, blank=True)
    require_sso = models.BooleanField(
        "require SSO", default=False, help_text="Password sign-in is refused except for break-glass admins."
    )
    jit_provisioning = models.BooleanField(
        "just-in-time creation",
        default=False,
        help_text="An unknown person with a valid assertion is created from its claims.",
    )
    break_glass_admins = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    name_id_attribute = models.CharField(
        "NameID is the person's",
        max_length=20,
        choices=NameIdAttribute.choices,
        default=NameIdAttribute.USERNAME,
        help_text="The one attribute a Response's NameID is matched against; no other claim finds anyone.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SSO configuration"

    def __str__(self) -> str:
        return f"SSO of {self.company}"

    @property
    def has_identity_provider(self) -> bool:
        return bool(self.idp_entity_id and self.idp_sso_url)


class IdpCertificate(models.Model):
    """A certificate the company's identity provider signs with. One or two: during a
    rollover both the old and the new one are trusted, so nobody is locked out."""

    configuration = models.ForeignKey(SsoConfiguration, on_delete=models.CASCADE, related_name="idp_certificates")
    pem = models.TextField("certificate (PEM)")
    fingerprint = models.CharField("SHA-256 fingerprint", max_length=64)
    subject = models.CharField(max_length=500, blank=True)
    not_valid_before = models.DateTimeField()
    not_valid_after = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["not_valid_after", "id"]
        constraints = [
            models.UniqueConstraint(fields=["configuration", "fingerprint"], name="idpcertificate_unique_per_sso"),
        ]

    def __str__(self) -> str:
        return f"{self.subject or self.fingerprint[:16]} (until {self.not_valid_after:%Y-%m-%d})"

    @property
    def is_expired(self) -> bool:
        return self.not_valid_after <= timezone.now()


class SsoEmailDomain(models.Model):
    """An email domain whose people sign in with this company's SSO (the sign-in page finds
    the company from it). A domain belongs to one company at most."""

    configuration = models.ForeignKey(SsoConfiguration, on_delete=models.CASCADE, related_name="email_domains")
    domain = models.CharField(max_length=253)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                Lower("domain"), name="ssoemaildomain_unique_ci", violation_error_message="This domain is taken."
            ),
        ]

    def __str__(self) -> str:
        return self.domain


class SamlRequest(models.Model):
    """An AuthnRequest the portal sent and has not had an answer to: a Response must name
    one of these in ``InResponseTo`` (SAML 2.0 Profiles §4.1.4.3), and uses it up.

    Kept in the database, not the session: the identity provider POSTs the Response
    cross-site, and browsers don't send a SameSite=Lax session cookie with that POST."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    request_id = models.CharField(max_length=100)
    # SHA-256 (hex) of the nonce of the cookie set in the browser that started the sign-in:
    # the Response is accepted only from that browser (no login CSRF).
    browser_nonce_hash = models.CharField(max_length=64, blank=True, editable=False)
    next_url = models.CharField(max_length=2048, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "request_id"], name="samlrequest_unique_per_company"),
        ]
        indexes = [models.Index(fields=["created_at"], name="samlrequest_created_idx")]

    def __str__(self) -> str:
        return self.request_id


class SeenAssertion(models.Model):
    """The id of an assertion a person signed in with, until it expires: the same
    assertion posted again is a replay (SAML 2.0 Profiles §4.1.4.5)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    assertion_id = models.CharField(max_length=256)
    expires_at = models.DateTimeField()

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "assertion_id"], name="seenassertion_unique_per_company"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="seenassertion_expires_idx")]

    def __str__(self) -> str:
        return self.assertion_id


class SsoSignInEventQuerySet(CompanyScopedQuerySet):
    def refused(self) -> SsoSignInEventQuerySet:
        return self.filter(outcome=SsoSignInEvent.Outcome.REFUSED)


class SsoSignInEvent(models.Model):
    """One SSO sign-in or refusal, for the company's sign-in activity and support staff."""

    class Outcome(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        CREATED = "created", "Created and signed in"
        REFUSED = "refused", "Refused"

    class Reason(models.TextChoices):
        # The label is the sentence the person and the company's admins read.
        NOT_CONFIGURED = "not_configured", "Single sign-on is not set up for this company."
        MALFORMED = "malformed", "The identity provider's answer could not be read as a SAML response."
        FAILED_AT_IDP = "failed_at_idp", "The identity provider did not sign the person in."
        WRONG_ISSUER = "wrong_issuer", "The response came from an identity provider this company does not use."
        UNSIGNED = "unsigned", "The assertion in the response was not signed."
        BAD_SIGNATURE = (
            "bad_signature",
            ("The response was not signed by one of the company's identity provider certificates."),
        )
        WRONG_AUDIENCE = "wrong_audience", "The assertion was meant for another service provider (audience)."
        WRONG_RECIPIENT = "wrong_recipient", "The response was addressed to another reply URL (recipient)."
        EXPIRED = "expired", "The assertion has expired."
        NOT_YET_VALID = "not_yet_valid", "The assertion is not valid yet."
        UNSOLICITED = "unsolicited", "The response does not answer a sign-in the portal started (InResponseTo)."
        OTHER_BROWSER = (
            "other_browser",
            "The response answers a sign-in started in another browser (or too long ago). Start again here.",
        )
        REPLAYED = "replayed", "This assertion was already used to sign in."
        NO_IDENTITY = "no_identity", "The assertion names nobody (no NameID)."
        UNKNOWN_PERSON = "unknown_person", "No one of the company has this userName."
        DEACTIVATED = "deactivated", "The person's account is deactivated."
        DELETED = "deleted", "The person's account was deleted."
        CANNOT_CREATE = "cannot_create", "The person could not be created from the assertion's claims."

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who the assertion named (its NameID); prefixed "unverified NameID: " when it was read
    # from a Response whose signature was never checked (or failed).
    name_id = models.CharField("NameID", max_length=254, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.CharField(max_length=30, choices=Reason.choices, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SsoSignInEventQuerySet.as_manager()

    class Meta:
        verbose_name = "SSO sign-in"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "created_at"], name="ssosignin_company_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="refused", reason__gt="") | (~Q(outcome="refused") & Q(reason="")),
                name="ssosignin_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.name_id or '—'}"

    @property
    def is_refused(self) -> bool:
        return self.outcome == self.Outcome.REFUSED
