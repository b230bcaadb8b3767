"""What every API view shares: credentials, scopes, Api-Version, problem errors, pages."""

from __future__ import annotations

from rest_framework import viewsets
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

from travelportal.api.authentication import ApiCaller, ApiKeyAuthentication, BearerTokenAuthentication
from travelportal.api.pagination import EnvelopePagination
from travelportal.api.permissions import HasRequiredScope
from travelportal.api.throttling import CompanyRateThrottle
from travelportal.api.versioning import API_VERSION_HEADER, api_version


class ApiViewSet(viewsets.GenericViewSet):
    """Subclasses set ``required_scopes`` (action to scope), ``envelope`` (the list's
    plural) and ``modified_field`` (the rows' modification time; what cursors order by
    unless the view names a ``change_field``, see ``pagination``), and start every
    queryset from ``self.caller.company``."""

    authentication_classes = [ApiKeyAuthentication, BearerTokenAuthentication]
    permission_classes = [HasRequiredScope]
    throttle_classes = [CompanyRateThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    pagination_class = EnvelopePagination
    required_scopes: dict[str, str] = {}
    envelope = "results"
    modified_field = "updated_at"

    @property
    def caller(self) -> ApiCaller:
        return self.request.auth

    def determine_version(self, request, *args, **kwargs) -> tuple[str, None]:
        # TravelPerk's Api-Version header, read here rather than by a DRF versioning
        # class, which drf-spectacular would not understand.
        return api_version(request), None

    def get_authenticate_header(self, request) -> str:
        # Both schemes are offered on a 401 (RFC 9110 §11.6.1 allows several challenges).
        return ", ".join(auth.authenticate_header(request) for auth in self.get_authenticators())

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if isinstance(self.request.auth, ApiCaller):
            context["company"] = self.request.auth.company
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response[API_VERSION_HEADER] = getattr(request, "version", None) or "1"
        return response

    def paginated(self, queryset, serializer_class=None, prepare=None):
        """A page of ``queryset`` in the list's envelope; ``prepare`` may load what the
        rows need (in a fixed number of queries) before they are serialized."""
        page = self.paginate_queryset(queryset)
        if prepare is not None:
            page = prepare(page)
        serializer = (serializer_class or self.get_serializer_class())(
            page, many=True, context=self.get_serializer_context()
        )
        return self.get_paginated_response(serializer.data)

    def valid_data(self, serializer_class, instance=None, partial: bool = False) -> dict:
        """The request body, validated by ``serializer_class`` (a 400 problem if not)."""
        serializer = serializer_class(
            instance, data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def valid_query(self, serializer_class) -> dict:
        """The query parameters, validated by ``serializer_class``."""
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
