"""The OpenAPI 3 document (drf-spectacular): every operation names the scope it needs
(in ``security``, in ``x-required-scopes`` and in its description), takes ``Api-Version``
(and ``Idempotency-Key`` on POST), and lists its problem+json error answers."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter

from travelportal.api.permissions import required_scope
from travelportal.api.problems import PROBLEM_CONTENT_TYPE
from travelportal.api.versioning import API_VERSION_HEADER, SUPPORTED_VERSIONS
from travelportal.tokens.scopes import API_SCOPES

API_KEY_SCHEME = "ApiKey"
OAUTH_SCHEME = "OAuth2"

# Every operation may answer these; POST also 422 (an Idempotency-Key reused).
ERROR_ANSWERS: dict[str, str] = {
    "400": "Invalid input, query parameters or Api-Version",
    "401": "No credential, or one that is unknown, revoked or expired",
    "403": "The credential lacks the operation's scope, or the person may not do this",
    "404": "No such resource in the caller's company, or no such path",
    "405": "The method is not allowed on this path",
    "406": "The requested media type is not available",
    "409": "The resource changed meanwhile (a trip already decided)",
    "415": "The request body is not JSON",
    "429": "The company's request rate limit (shared with its SCIM clients) is spent; see Retry-After",
}


def security_schemes() -> dict:
    """The securitySchemes component: TravelPerk's API key header and the portal's OAuth 2.0."""
    return {
        API_KEY_SCHEME: {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: ApiKey <key>`, a key from Company Settings > Developers. "
            "The operation's scope must be among the key's.",
        },
        OAUTH_SCHEME: {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {"tokenUrl": "/oauth2/token/", "scopes": API_SCOPES},
                "authorizationCode": {
                    "authorizationUrl": "/oauth2/authorize/",
                    "tokenUrl": "/oauth2/token/",
                    "scopes": API_SCOPES,
                },
            },
        },
    }


class ScopedAutoSchema(AutoSchema):
    def _scope(self) -> str | None:
        scope = required_scope(self.view)
        return scope if scope in API_SCOPES else None

    def get_auth(self) -> list[dict]:
        scope = self._scope()
        if scope is None:
            return []
        for name, definition in security_schemes().items():
            self.registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SECURITY_SCHEMA, object=name, schema=definition)
            )
        # OpenAPI 3.0 allows scopes only in an oauth2 requirement; for the key, the scope
        # is in x-required-scopes and the description.
        return [{OAUTH_SCHEME: [scope]}, {API_KEY_SCHEME: []}]

    def get_description(self) -> str:
        description = super().get_description() or ""
        scope = self._scope()
        if scope:
            description = f"{description}\n\nRequired scope: `{scope}`.".strip()
        return description

    def get_extensions(self) -> dict:
        extensions = super().get_extensions() or {}
        scope = self._scope()
        if scope:
            extensions["x-required-scopes"] = [scope]
        return extensions

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if self._scope() is None:
            return parameters
        parameters.append(
            OpenApiParameter(
                API_VERSION_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=False,
                enum=list(SUPPORTED_VERSIONS),
                description="The API version; missing means 1.",
            )
        )
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Send the same key to retry safely: within 24 hours the first answer is "
                    "returned again and nothing is written twice; the key with a different request is a 422.",
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response") -> dict:
        responses = super()._get_response_bodies(direction)
        if self._scope() is None or direction != "response":
            return responses
        from travelportal.api.serializers import ProblemSerializer

        problem = {"schema": self.resolve_serializer(ProblemSerializer, "response").ref}
        answers = dict(ERROR_ANSWERS)
        if self.method == "POST":
            answers["422"] = "The Idempotency-Key was used for a different request"
        for code, description in answers.items():
            responses.setdefault(code, {"description": description, "content": {PROBLEM_CONTENT_TYPE: problem}})
        return responses
