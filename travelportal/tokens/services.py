"""The company's credentials: issuing, finding and revoking SCIM tokens and API keys
(``Credential``), resolving a SCIM bearer token, and the Entra OAuth connection."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
)

from travelportal.companies.models import Company, User
from travelportal.querysets import only_match
from travelportal.tokens.models import CREDENTIAL_KINDS, Credential, hash_token

# Writing last_used_at on every request would make every call a write; once a minute is
# precise enough for the "last used" column.
LAST_USED_RESOLUTION_SECONDS = 60
# How many characters of the value after its kind's prefix a list shows.
SHOWN_CHARACTERS = 6


@dataclass(frozen=True)
class BearerCredential:
    """What a valid bearer token grants: a company and a set of scopes."""

    company: Company
    scopes: frozenset[str]
    token: object  # Credential or the swapped AccessToken


def clean_scopes(*, kind: Credential.Kind, scopes: Iterable[str]) -> list[str]:
    """The given scopes in the order of the kind's table (``CREDENTIAL_KINDS``); a scope
    of another table (a SCIM scope for an API key) is unknown, and none at all is refused."""
    known = CREDENTIAL_KINDS[kind].scopes
    wanted = {scope.strip() for scope in scopes if scope.strip()}
    unknown = sorted(wanted - set(known))
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(unknown)}. Known: {', '.join(known)}."})
    if not wanted:
        raise ValidationError({"scopes": "Choose at least one scope."})
    return [scope for scope in known if scope in wanted]


def issue_credential(
    *,
    company: Company,
    kind: Credential.Kind,
    name: str,
    scopes: Iterable[str] | None = None,
    created_by: User | None = None,
    expires_at: datetime | None = None,
) -> tuple[Credential, str]:
    """Create a credential of ``kind`` for ``company``; returns the row and the plain value,
    which is stored only as its SHA-256 and so can be shown only this once.

    The name (stripped) must be 1 to 100 characters; ``scopes`` must come from the kind's
    table, every one of them when None; ``expires_at``, if given, must be in the future.
    A refusal is a ``ValidationError`` keyed by ``name``, ``scopes`` or ``expires_at``,
    and nothing is written.
    """
    rules = CREDENTIAL_KINDS[kind]
    name = name.strip()
    if not name or len(name) > Credential._meta.get_field("name").max_length:
        raise ValidationError({"name": f"A {rules.noun} needs a name of 1 to 100 characters."})
    granted = clean_scopes(kind=kind, scopes=rules.scopes if scopes is None else scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    raw = rules.prefix + secrets.token_urlsafe(32)
    credential = Credential.objects.create(
        kind=kind,
        company=company,
        name=name,
        token_hash=hash_token(raw),
        prefix=raw[: len(rules.prefix) + SHOWN_CHARACTERS],
        scope=" ".join(granted),
        created_by=created_by,
        expires_at=expires_at,
    )
    return credential, raw


@transaction.atomic
def revoke_credential(*, credential: Credential) -> None:
    """Revoke a credential; requests using it are refused from the next one on. Revoking
    it again keeps the first time: the row is read under its lock, so of two revokes at
    once (two admins, an admin and support staff) the second finds it revoked."""
    fresh = Credential.objects.select_for_update().get(pk=credential.pk)
    if fresh.revoked_at is None:
        fresh.revoked_at = timezone.now()
        fresh.save(update_fields=["revoked_at"])
    credential.revoked_at = fresh.revoked_at


def kind_of(raw: str) -> Credential.Kind | None:
    """The kind of credential a plain value is, by its prefix; None for anything else (an
    OAuth access token, say)."""
    return next((kind for kind, rules in CREDENTIAL_KINDS.items() if raw.startswith(rules.prefix)), None)


def find_credential(raw: str, *, kind: Credential.Kind) -> Credential | None:
    """The usable (not revoked, not expired) credential of ``kind`` with this plain value,
    with its company, or None; a value of another kind is None without a query. Notes the
    use (``note_use``)."""
    if kind_of(raw) != kind:
        return None
    credential = only_match(
        Credential.objects.of_kind(kind).usable().select_related("company").filter(token_hash=hash_token(raw))
    )
    if credential is not None:
        note_use(credential)
    return credential


def note_use(credential, *, now: datetime | None = None) -> None:
    """Set ``last_used_at`` of a ``Credential`` or an OAuth access token, at most once per
    ``LAST_USED_RESOLUTION_SECONDS``, with an ``UPDATE`` that skips the model's signals."""
    now = now or timezone.now()
    last = credential.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
        type(credential).objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now


def find_bearer_credential(raw: str) -> BearerCredential | None:
    """Resolve a SCIM bearer token to its company and scopes, or None if it is not usable.

    A SCIM token (``tps_…``) is looked up by hash; an API key (``tpk_…``) is no SCIM
    credential; anything else is tried as an OAuth access token issued by
    django-oauth-toolkit (looked up by its checksum). The person who created or authorized
    the token is deliberately not consulted.
    """
    if not raw:
        return None
    if kind_of(raw) is not None:
        credential = find_credential(raw, kind=Credential.Kind.SCIM_TOKEN)
        if credential is None:
            return None
        return BearerCredential(company=credential.company, scopes=credential.scopes, token=credential)

    now = timezone.now()
    AccessToken = get_access_token_model()
    token = only_match(
        AccessToken.objects.select_related("company").filter(token_checksum=hash_token(raw), expires__gt=now)
    )
    if token is None:
        return None
    note_use(token, now=now)
    return BearerCredential(company=token.company, scopes=frozenset(token.scope.split()), token=token)


def list_company_credentials(*, company: Company, kind: Credential.Kind) -> QuerySet[Credential]:
    """The company's credentials of ``kind`` that are not revoked, newest first, with their
    creator, for the Company Settings lists (name, prefix, scopes, created, last used,
    expiry). Expired ones stay listed so the admin sees why an integration stopped; check
    ``is_usable`` to tell them apart."""
    return (
        Credential.objects.for_company(company)
        .of_kind(kind)
        .filter(revoked_at__isnull=True)
        .select_related("created_by")
    )


# --- The Entra gallery application (OAuth 2.0 client) ----------------------------------

ENTRA_APPLICATION_NAME = "Microsoft Entra ID provisioning"
ENTRA_REDIRECT_URIS = (
    "https://portal.azure.com/TokenAuthorize",
    "https://entra.microsoft.com/TokenAuthorize",
)


@dataclass(frozen=True)
class RegisteredApplication:
    """The outcome of registering the Entra client. ``client_secret`` is the plain secret
    when one was generated by this call (it is stored only as a hash), else None."""

    application: object  # oauth2_provider Application
    client_secret: str | None
    created: bool


def entra_application():
    """The registered Entra client, or None before ``create_entra_application`` ran."""
    Application = get_application_model()
    return Application.objects.filter(name=ENTRA_APPLICATION_NAME).order_by("pk").first()


@transaction.atomic
def register_entra_application(*, extra_redirect_uris: list[str] | tuple = (), rotate_secret: bool = False):
    """Register (once) the confidential OAuth client Microsoft's gallery entry uses.

    Authorization code grant (RFC 6749 §4.1) with refresh tokens, the two Entra redirect
    URIs plus ``extra_redirect_uris`` (exact match, RFC 6749 §3.1.2.3), consent always
    shown, PKCE accepted but not required (Entra does not send it). Running it again keeps
    the client and its secret, adding any new redirect URIs, unless ``rotate_secret``.
    The client secret is hashed on save, so the plain value is only in the return value.
    """
    Application = get_application_model()
    wanted = list(dict.fromkeys([*ENTRA_REDIRECT_URIS, *extra_redirect_uris]))
    application = Application.objects.select_for_update().filter(name=ENTRA_APPLICATION_NAME).order_by("pk").first()
    if application is None:
        secret = generate_client_secret()
        application = Application(
            name=ENTRA_APPLICATION_NAME,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(wanted),
            client_secret=secret,
            hash_client_secret=True,
            skip_authorization=False,
        )
        application.full_clean()
        application.save()
        return RegisteredApplication(application=application, client_secret=secret, created=True)

    fields = []
    current = application.redirect_uris.split()
    merged = list(dict.fromkeys([*current, *wanted]))
    if merged != current:
        application.redirect_uris = " ".join(merged)
        fields.append("redirect_uris")
    secret = None
    if rotate_secret:
        secret = generate_client_secret()
        application.client_secret = secret
        application.hash_client_secret = True
        fields += ["client_secret", "hash_client_secret"]
    if fields:
        application.full_clean()
        application.save(update_fields=[*fields, "updated"])
    return RegisteredApplication(application=application, client_secret=secret, created=False)


# --- A company's Entra connection ----------------------------------------------------


@dataclass(frozen=True)
class EntraConnection:
    """What Company Settings shows about a company's OAuth connection."""

    authorized_by: User | None
    authorized_at: datetime
    last_used_at: datetime | None
    access_token_expires_at: datetime | None


def entra_connection(company: Company) -> EntraConnection | None:
    """The company's live OAuth connection (a refresh token that is not revoked), or None.

    ``authorized_at`` is when the admin clicked Authorize: rotation creates a new refresh
    token on every cycle and carries that moment over to it.
    """
    RefreshToken = get_refresh_token_model()
    AccessToken = get_access_token_model()
    live = (
        RefreshToken.objects.filter(company=company, revoked__isnull=True)
        .select_related("user", "access_token")
        .order_by("-created")
        .first()
    )
    if live is None:
        return None
    last_used = (
        AccessToken.objects.filter(company=company, last_used_at__isnull=False)
        .order_by("-last_used_at")
        .values_list("last_used_at", flat=True)
        .first()
    )
    return EntraConnection(
        authorized_by=live.user,
        # Tokens issued before authorized_at was recorded fall back to their own creation.
        authorized_at=live.authorized_at or live.created,
        last_used_at=last_used,
        access_token_expires_at=live.access_token.expires if live.access_token else None,
    )


@transaction.atomic
def disconnect_entra(*, company: Company) -> int:
    """Revoke every OAuth token of the company at once (RFC 7009 §2.1: effective
    immediately) and drop authorization codes its people have not exchanged yet.

    Access tokens are deleted (django-oauth-toolkit's meaning of revoked) so SCIM requests
    get 401 from the next one on; refresh tokens are marked revoked. Because no access
    token minted from them survives, the refresh grace period cannot revive them either.
    Returns how many tokens were revoked.
    """
    RefreshToken = get_refresh_token_model()
    AccessToken = get_access_token_model()
    Grant = get_grant_model()
    now = timezone.now()
    refreshed = RefreshToken.objects.filter(company=company, revoked__isnull=True).update(
        revoked=now, access_token=None
    )
    deleted, _ = AccessToken.objects.filter(company=company).delete()
    Grant.objects.filter(user__company=company).delete()
    return refreshed + deleted
