"""OAuth clients a company registers for its own integrations: server-to-server clients
(client credentials, RFC 6749 §4.4) and applications its admins authorize in the browser
(authorization code with PKCE, RFC 6749 §4.1 and RFC 7636)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from travelportal.companies.models import Company
from travelportal.tokens.models import CompanyApplication

GRANT_TYPES = ("client-credentials", "authorization-code")


@dataclass(frozen=True)
class RegisteredClient:
    """``client_secret`` is the plain secret, stored only as a hash and shown only once."""

    link: CompanyApplication
    client_id: str
    client_secret: str


@transaction.atomic
def register_company_application(
    *, company: Company, name: str, grant: str, scopes: Iterable[str], redirect_uris: Iterable[str] = ()
) -> RegisteredClient:
    """Register a confidential OAuth client of ``company`` that may be granted ``scopes``
    (which must be scopes the authorization server knows). ``grant`` is
    ``client-credentials`` or ``authorization-code`` (which needs https redirect URIs and
    PKCE)."""
    from oauth2_provider.settings import oauth2_settings

    Application = get_application_model()
    scopes = list(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    unknown = sorted(set(scopes) - set(oauth2_settings.SCOPES))
    if unknown or not scopes:
        raise ValidationError({"scopes": f"Choose known scopes; unknown: {', '.join(unknown) or 'none given'}."})
    if grant not in GRANT_TYPES:
        raise ValidationError({"grant": f"Choose one of {', '.join(GRANT_TYPES)}."})
    secret = generate_client_secret()
    application = Application(
        name=name.strip(),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
        if grant == "client-credentials"
        else Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        client_secret=secret,
        hash_client_secret=True,
        skip_authorization=False,
    )
    application.full_clean()
    application.save()
    link = CompanyApplication.objects.create(application=application, company=company, scope=" ".join(scopes))
    return RegisteredClient(link=link, client_id=application.client_id, client_secret=secret)
