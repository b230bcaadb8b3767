"""Who is calling: an API key (``Authorization: ApiKey <key>``, TravelPerk's scheme) or an
OAuth 2.0 bearer token issued by the portal (RFC 6750 §2.1).

Both resolve to an ``ApiCaller``: the company, the granted scopes and, for a token an
admin authorized in the browser, that person. ``request.auth`` is the caller; every
query starts from ``caller.company``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from travelportal.companies.models import Company, User
from travelportal.tokens.models import Credential
from travelportal.tokens.services import find_credential, note_use

API_KEY_KEYWORD = "ApiKey"


@dataclass(frozen=True)
class ApiCaller:
    company: Company
    scopes: frozenset[str]
    # The person a browser-authorized OAuth token was granted by; None for API keys and
    # client-credentials tokens, which act for the company.
    person: User | None
    credential: object  # Credential (an API key) or the swapped AccessToken

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: ApiKey <key>``. A malformed, unknown, revoked or expired key is a 401."""

    def authenticate(self, request):
        scheme, _, value = get_authorization_header(request).decode("latin-1").partition(" ")
        if scheme.lower() != API_KEY_KEYWORD.lower():
            return None
        key = find_credential(value.strip(), kind=Credential.Kind.API_KEY)
        if key is None:
            raise exceptions.AuthenticationFailed("The API key is unknown, revoked or expired.")
        return AnonymousUser(), ApiCaller(company=key.company, scopes=key.scopes, person=None, credential=key)

    def authenticate_header(self, request) -> str:
        return f'{API_KEY_KEYWORD} realm="api"'


class BearerTokenAuthentication(OAuth2Authentication):
    """django-oauth-toolkit's token check (RFC 6750), turned into an ``ApiCaller``.

    A bearer token that is unknown or expired is a 401 rather than falling through to
    "no credential", so a client learns its token is bad."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        scheme, _, _ = get_authorization_header(request).decode("latin-1").partition(" ")
        if scheme.lower() != "bearer":
            return None
        result = super().authenticate(request)
        if result is None:
            raise exceptions.AuthenticationFailed("The bearer token is unknown, revoked or expired.")
        user, token = result
        note_use(token)
        person = user if user is not None and user.company_id == token.company_id else None
        caller = ApiCaller(
            company=token.company, scopes=frozenset(token.scope.split()), person=person, credential=token
        )
        return person or AnonymousUser(), caller
