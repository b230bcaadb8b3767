"""API credentials, each belonging to a company rather than to a person.

django-oauth-toolkit's access and refresh tokens are swapped (before the first
migration, the only time that is possible) for subclasses that carry ``company``; the
``user`` who authorized the token is kept for the record but is ``SET_NULL`` instead of
``CASCADE``, and nothing checks that person's status when the token is used. So a
company's SCIM connection keeps working after the admin who authorized it leaves or is
deactivated by SCIM.

Secret tokens (for identity providers without the gallery OAuth flow, and for
``issue_scim_token``) are stored only as a SHA-256 hash, and so are OAuth access and
refresh tokens (django-oauth-toolkit's ``token_checksum``, its ``token`` column left blank
under COMPLIANT_BCP_RFC9700_TOKEN_STORAGE).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.models import AbstractAccessToken, AbstractRefreshToken

from travelportal.companies.models import Company

SCIM_SCOPES = ("scim:read", "scim:write", "scim:delete")


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


class SecretTokenQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> SecretTokenQuerySet:
        return self.filter(company=company)

    def usable(self) -> SecretTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class SecretToken(models.Model):
    """A long-lived bearer token for a company's SCIM API; only its hash is stored."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="secret_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the token, shown in lists so admins can tell tokens apart.
    prefix = models.CharField(max_length=16, editable=False)
    scope = models.CharField(max_length=100, default=" ".join(SCIM_SCOPES))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = SecretTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scopes(self) -> set[str]:
        return set(self.scope.split())

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


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
