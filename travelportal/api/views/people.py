"""The company's people, read-only (``/users``): they belong to the identity provider."""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import mixins

from travelportal.api.pagination import EnvelopePagination
from travelportal.api.serializers import UserOrTombstoneSerializer, UserSerializer, UserTombstoneSerializer
from travelportal.api.views.base import ApiViewSet
from travelportal.companies.models import User

PERSON_OR_TOMBSTONE = PolymorphicProxySerializer(
    component_name="UserOrTombstone",
    serializers=[UserSerializer, UserTombstoneSerializer],
    resource_type_field_name=None,
    many=True,
)


@extend_schema_view(list=extend_schema(responses=PERSON_OR_TOMBSTONE))
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = UserSerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = User.objects.none()
    pagination_class = EnvelopePagination.named("users")
    lookup_value_regex = r"[0-9a-fA-F-]{32,36}"
    change_field = "change_seq"
    # The list shows deleted people as tombstones (see pagination); one person is read live only.
    deleted_field = "deleted_at"
    required_scopes = {"list": "users:read", "retrieve": "users:read"}

    def get_queryset(self):
        if self.action == "list":
            people = User.objects.filter(company=self.caller.company)
        else:
            people = User.objects.for_company(self.caller.company)
        return people.order_by("family_name", "given_name", "username", "id")

    def get_serializer_class(self):
        return UserOrTombstoneSerializer if self.action == "list" else UserSerializer
