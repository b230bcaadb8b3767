"""API credentials, each belonging to a company rather than to a person.

django-oauth-toolkit's access and refresh tokens are swapped (before the first
migration, the only time that is possible) for subclasses that carry ``company``; the
``user`` who authorized the token is kept for the record but is ``SET_NULL`` instead of
``CASCADE``, and nothing checks that person's status when the token is used. So a
company's SCIM connection keeps working after the admin who authorized it leaves or is
deactivated by SCIM.

The long-lived secrets a company's admin creates are one model, ``Credential``, of two
kinds: SCIM tokens (``tps_…``, for identity providers without the gallery OAuth flow, and
for ``issue_scim_token``) and REST API keys (``tpk_…``). They are stored only as a SHA-256
hash, and so are OAuth access and refresh tokens (django-oauth-toolkit's
``token_checksum``, its ``token`` column left blank under
COMPLIANT_BCP_RFC9700_TOKEN_STORAGE).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.models import AbstractAccessToken, AbstractRefreshToken

from travelportal.companies.models import Company
from travelportal.tokens.scopes import API_SCOPES, SCIM_SCOPES


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class AccessToken(AbstractAccessToken):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="authorized_access_tokens",
        verbose_name="authorized by",
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="oauth_access_tokens")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractAccessToken.Meta):
        swappable = "OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL"


class RefreshToken(AbstractRefreshToken):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="authorized_refresh_tokens",
        verbose_name="authorized by",
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="oauth_refresh_tokens")
    # When the admin clicked Authorize, carried over on every rotation: the rows of earlier
    # rotations are deleted by clear_expired, so it can't be recomputed from the family.
    authorized_at = models.DateTimeField(null=True, blank=True)
    # Tokens are stored only as their checksum. Once this token is rotated, the access and
    # refresh token it was rotated into, sealed under this token's own value
    # (travelportal.tokens.sealing): a retry within the grace period gets that pair again.
    sealed_successor = models.TextField(blank=True, default="", editable=False)

    class Meta(AbstractRefreshToken.Meta):
        swappable = "OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL"


class CredentialQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> CredentialQuerySet:
        return self.filter(company=company)

    def of_kind(self, kind: Credential.Kind) -> CredentialQuerySet:
        return self.filter(kind=kind)

    def usable(self) -> CredentialQuerySet:
        """Not revoked and not expired."""
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )


class Credential(models.Model):
    """A long-lived secret of a company: a SCIM token or a REST API key.

    It belongs to the company, not to the admin who created it: ``created_by`` is only shown
    in the list (NULL for API keys, and once that person is deleted), and nothing checks
    that person when the credential is used.
    Only the SHA-256 of the value is stored; ``prefix``, its first characters, tells
    credentials apart in lists. What each kind starts with and may be granted is in
    ``CREDENTIAL_KINDS``; travelportal.tokens.services issues, finds and revokes them.
    """

    class Kind(models.TextChoices):
        SCIM_TOKEN = "scim_token", "SCIM token"
        API_KEY = "api_key", "API key"

    kind = models.CharField(max_length=10, choices=Kind.choices, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="credentials")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=16, editable=False)
    # Space-separated scopes of the kind's table (travelportal.tokens.scopes).
    scope = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A default rather than auto_now_add, so the migration from the two former models
    # could keep each row's own creation time.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["scim_token", "api_key"]), name="credential_kind_known"
            ),
            models.CheckConstraint(condition=~models.Q(scope=""), name="credential_has_a_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired


@dataclass(frozen=True)
class CredentialKind:
    """What sets one kind of credential apart from the other."""

    # Every value of the kind starts with it, so a lookup knows the kind before hashing.
    prefix: str
    # What a credential of the kind may be granted, in the order lists show them.
    scopes: dict[str, str]
    # How messages name one ("A key needs a name…").
    noun: str


CREDENTIAL_KINDS: dict[Credential.Kind, CredentialKind] = {
    Credential.Kind.SCIM_TOKEN: CredentialKind(prefix="tps_", scopes=SCIM_SCOPES, noun="token"),
    Credential.Kind.API_KEY: CredentialKind(prefix="tpk_", scopes=API_SCOPES, noun="key"),
}


class CompanyApplication(models.Model):
    """An OAuth client a company registered for its own integration, and the scopes it may
    be granted. Tokens of the client credentials grant (RFC 6749 §4.4) belong to this
    company; for the authorization code grant only this company's admins may authorize
    it. Clients without a row (Entra's gallery client) serve any company and get the
    SCIM scopes only."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="company_link"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="oauth_applications")
    scope = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~models.Q(scope=""), name="companyapplication_has_a_scope")]

    def __str__(self) -> str:
        return f"{self.application} ({self.company})"

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()
