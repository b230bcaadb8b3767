"""The company's people, read-only (``/users``): they belong to the identity provider."""

from __future__ import annotations

from rest_framework import mixins

from travelportal.api.pagination import EnvelopePagination
from travelportal.api.serializers import UserSerializer
from travelportal.api.views.base import ApiViewSet
from travelportal.companies.models import User


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = UserSerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = User.objects.none()
    pagination_class = EnvelopePagination.named("users")
    lookup_value_regex = r"[0-9a-fA-F-]{32,36}"
    required_scopes = {"list": "users:read", "retrieve": "users:read"}

    def get_queryset(self):
        return User.objects.for_company(self.caller.company).order_by("family_name", "given_name", "username", "id")
