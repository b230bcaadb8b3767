"""The OAuth 2.0 request validator: every token belongs to a company.

django-oauth-toolkit's validator stores ``request.user`` on the tokens it creates; this
subclass also stores ``company``. For the authorization code grant (RFC 6749 §4.1.3) the
company is the authorizing admin's; for the refresh token grant (RFC 6749 §6) it is copied
from the refresh token being used, never re-derived from the person, so a token family
keeps working, for the same company, after that admin is deactivated or leaves. A client
a company registered for its own integration (``CompanyApplication``) is that company's:
its client credentials tokens (RFC 6749 §4.4) belong to it, only its admins may authorize
it, and it is granted only the scopes it was registered with.

Tokens are stored only as their SHA-256 (django-oauth-toolkit's COMPLIANT_BCP_RFC9700_TOKEN_STORAGE:
``token_checksum`` is what every lookup uses, the ``token`` column stays blank), so a
database dump holds no working credential. The toolkit's refresh grace period answers a
retry with the pair it stored, which is no longer there; this validator is the one place
that makes up for it, by sealing the pair under the refresh token it replaced
(``_save_bearer_token``, ``travelportal.tokens.sealing``).
"""

from __future__ import annotations

import uuid

from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import get_scopes_backend
from oauthlib.oauth2.rfc6749 import errors

from travelportal.tokens.models import CompanyApplication, hash_token
from travelportal.tokens.scopes import SCIM_SCOPES
from travelportal.tokens.sealing import open_successor, seal_successor

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


class LateInvalidGrant(errors.InvalidGrantError):
    """RFC 6749 §5.2 ``invalid_grant`` found while saving the tokens, after oauthlib's
    validation: raised past the grant type, which would otherwise set these headers."""

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"}


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
        previous = request.refresh_token_instance
        if previous.revoked is not None:
            # A retry within the grace period: answered with the pair this token was
            # rotated into, which only its seal still holds. No seal (rotated before
            # tokens were hashed and outside the migration's grace window): invalid_grant.
            successor = open_successor(refresh_token, previous.sealed_successor)
            if successor is None:
                return False
            request.sealed_successor = successor
        request.company_id = previous.company_id
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

    def _save_bearer_token(self, token, request, *args, **kwargs):
        """RFC 6749 §6 with rotation, the tokens stored only as their checksum.

        When the toolkit rotates a refresh token it mints a new pair; that pair is sealed
        on the refresh token it replaced, under that token's own value. When it answers a
        retry within the grace period it hands back the stored values of the pair it
        minted first, which are blank: they are taken from the seal instead (opened in
        ``validate_refresh_token``), so the client gets exactly the pair it missed.
        """
        previous = getattr(request, "refresh_token_instance", None)
        minted_refresh = token.get("refresh_token")
        super()._save_bearer_token(token, request, *args, **kwargs)
        if previous is None or not minted_refresh or not self.rotate_refresh_token(request):
            return
        if token["access_token"]:
            previous.sealed_successor = seal_successor(
                request.refresh_token, access_token=token["access_token"], refresh_token=token["refresh_token"]
            )
            RefreshToken.objects.filter(pk=previous.pk).update(sealed_successor=previous.sealed_successor)
            return
        successor = getattr(request, "sealed_successor", None)
        if successor is None:
            # Validated while a concurrent refresh with the same token was rotating it;
            # that rotation and its seal are committed now (the toolkit waited for its lock).
            sealed = RefreshToken.objects.filter(pk=previous.pk).values_list("sealed_successor", flat=True).first()
            successor = open_successor(request.refresh_token, sealed or "")
        if successor is None:
            raise LateInvalidGrant(request=request)
        access, refresh = successor
        token["access_token"] = access
        # The toolkit re-issues a refresh token for that access token if its own was
        # deleted meanwhile; then the new one is the one to hand out.
        reissued = RefreshToken.objects.filter(token_checksum=hash_token(minted_refresh)).exists()
        token["refresh_token"] = minted_refresh if reissued else refresh

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
