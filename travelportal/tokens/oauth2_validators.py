"""The OAuth 2.0 request validator: every token belongs to a company.

django-oauth-toolkit's validator stores ``request.user`` on the tokens it creates; this
subclass also stores ``company``. For the authorization code grant (RFC 6749 §4.1.3) the
company is the authorizing admin's; for the refresh token grant (RFC 6749 §6) it is copied
from the refresh token being used, never re-derived from the person, so a token family
keeps working, for the same company, after that admin is deactivated or leaves. A client
a company registered for its own integration (``CompanyApplication``) is that company's:
its client credentials tokens (RFC 6749 §4.4) belong to it, only its admins may authorize
it, and it is granted only the scopes it was registered with.
"""

from __future__ import annotations

import uuid

from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import get_scopes_backend

from travelportal.tokens.models import SCIM_SCOPES, CompanyApplication

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


class CompanyOAuth2Validator(OAuth2Validator):
    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        """RFC 6749 §4.1.3: the code must exist, be unexpired and belong to ``client``.

        Also refuses a code whose authorizing person has no company (support staff can't
        reach the consent page, but a code in the table is checked again here), and records
        the company the tokens will belong to.
        """
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        user = request.user
        if user is None or user.company_id is None:
            return False
        owner = self._owning_company_id(client)
        if owner is not None and owner != user.company_id:
            return False
        request.company_id = user.company_id
        return True

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """RFC 6749 §6: the refresh token must exist and belong to ``client``; rotated tokens
        stay valid for REFRESH_TOKEN_GRACE_PERIOD_SECONDS (handled by the parent).

        The authorizing person's status is deliberately not checked: the connection belongs
        to the company, not to that person.
        """
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        request.company_id = request.refresh_token_instance.company_id
        return True

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        """RFC 6749 §5.2 ``unauthorized_client``: the client credentials grant (§4.4) is for
        a client a company registered, whose tokens then belong to that company."""
        if grant_type == "client_credentials" and self._owning_company_id(client) is None:
            return False
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def is_pkce_required(self, client_id, request):
        """RFC 7636 is required of every client (PKCE_REQUIRED) except Entra's gallery
        client, which never sends a code_challenge; when it does send one, it is verified."""
        from travelportal.tokens.services import ENTRA_APPLICATION_NAME

        client = getattr(request, "client", None)
        if client is not None and client.client_id == client_id and client.name == ENTRA_APPLICATION_NAME:
            return False
        return super().is_pkce_required(client_id, request)

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        """RFC 6749 §3.3 lets the server ignore requested scopes it does not know.

        Entra sends whatever scope its gallery entry was configured with (often none, or a
        value of its own), and an ``invalid_scope`` error would make Authorize fail for a
        reason the customer's admin can't fix; unknown scopes are dropped, and a request left
        with none gets the default (all SCIM scopes). The scopes actually granted are shown
        on the consent page and returned in the token response. Such platform clients are
        granted SCIM scopes only; a company's own client, the scopes it was registered with.
        """
        link = CompanyApplication.objects.filter(application=client).first() if client is not None else None
        if link is not None:
            # A company's own client: only the scopes it was registered with, all of them
            # when it asks for none it may have.
            known = [scope for scope in scopes if scope in link.scopes] or link.scopes
            request.scopes = known
            return True
        available = set(get_scopes_backend().get_available_scopes(application=client, request=request)) & set(
            SCIM_SCOPES
        )
        known = [scope for scope in scopes if scope in available]
        if not known:
            known = list(self.get_default_scopes(client_id, request))
        # oauthlib reads request.scopes after this call, so narrowing it here is what
        # makes the grant carry only the known scopes.
        request.scopes = known
        return True

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        id_token = token.get("id_token", None)
        if id_token:
            id_token = self._load_id_token(id_token)
        access_token = AccessToken(
            user=request.user,
            company_id=self._company_id(request, source_refresh_token),
            scope=token["scope"],
            expires=expires,
            id_token=id_token,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(access_token, token["access_token"])
        access_token.save()
        return access_token

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):
        if previous_refresh_token is not None:
            token_family = previous_refresh_token.token_family
            authorized_at = previous_refresh_token.authorized_at or previous_refresh_token.created
        else:
            token_family, authorized_at = uuid.uuid4(), timezone.now()
        refresh_token = RefreshToken(
            user=request.user,
            company_id=access_token.company_id,
            authorized_at=authorized_at,
            application=request.client,
            access_token=access_token,
            token_family=token_family,
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(refresh_token, refresh_token_code)
        refresh_token.save()
        return refresh_token

    @staticmethod
    def _owning_company_id(client) -> int | None:
        """The company that registered ``client``, or None for a platform client (Entra)."""
        if client is None:
            return None
        return CompanyApplication.objects.filter(application=client).values_list("company_id", flat=True).first()

    @classmethod
    def _company_id(cls, request, source_refresh_token) -> int:
        """The one place a new token's company is decided: a refreshed token keeps its
        family's, a client credentials token is its client's company's, an authorization
        code token the authorizing admin's (set by ``validate_code``)."""
        if source_refresh_token is not None:
            return source_refresh_token.company_id
        if request.grant_type == "client_credentials":
            company_id = cls._owning_company_id(request.client)
            if company_id is None:
                raise RuntimeError("Only a client a company registered can use the client credentials grant.")
            return company_id
        company_id = getattr(request, "company_id", None)
        if company_id is None:
            # Only the authorization code and refresh token grants are enabled for the
            # Entra client; both set company_id during validation. Anything else reaching
            # here is a configuration error, not a client error.
            raise RuntimeError("An OAuth token can only be issued for a company.")
        return company_id
