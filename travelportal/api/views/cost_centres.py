"""Cost centres, in TravelPerk's shapes: ``/cost_centers``. Every write is a function of
the catalogue and people domain (``travelportal.companies.catalogue`` and ``.people``),
the same ones Company Settings calls."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from travelportal.api.idempotency import idempotent
from travelportal.api.pagination import EnvelopePagination
from travelportal.api.people import people_of_company
from travelportal.api.serializers import (
    BulkArchiveSerializer,
    BulkUpdateResultSerializer,
    CostCentreCreateSerializer,
    CostCentreSerializer,
    CostCentreUpdateSerializer,
    MembersSerializer,
)
from travelportal.api.views.base import ApiViewSet
from travelportal.companies.catalogue import (
    archive_catalogue_entries,
    create_catalogue_entry,
    update_catalogue_entry,
)
from travelportal.companies.models import CostCentre, User
from travelportal.companies.people import replace_cost_centre_members

READ, WRITE = "cost_centers:read", "cost_centers:write"


def attach_members(centres: list[CostCentre]) -> list[CostCentre]:
    """Set ``members`` on each centre (its live people, by name), in one query for all."""
    members: dict[int, list[User]] = {centre.pk: [] for centre in centres}
    people = (
        User.objects.live()
        .filter(cost_centre__in=list(members))
        .only("id", "given_name", "family_name", "work_email", "cost_centre_id")
        .order_by("family_name", "given_name", "username", "id")
    )
    for person in people:
        members[person.cost_centre_id].append(person)
    for centre in centres:
        centre.members = members[centre.pk]
    return centres


class CostCentreViewSet(ApiViewSet):
    serializer_class = CostCentreSerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = CostCentre.objects.none()
    pagination_class = EnvelopePagination.named("cost_centers")
    lookup_value_regex = r"\d{1,18}"
    change_field = "change_seq"
    required_scopes = {
        "list": READ,
        "retrieve": READ,
        "create": WRITE,
        "partial_update": WRITE,
        "bulk_update": WRITE,
        "users": WRITE,
    }

    def get_queryset(self):
        return CostCentre.objects.for_company(self.caller.company).order_by("name", "id")

    def _answer(self, centre: CostCentre, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(CostCentreSerializer(attach_members([centre])[0]).data, status=status_code)

    def list(self, request):
        return self.paginated(self.get_queryset(), prepare=attach_members)

    def retrieve(self, request, pk: str):
        return self._answer(self.get_object())

    @extend_schema(request=CostCentreCreateSerializer, responses={201: CostCentreSerializer})
    @idempotent
    def create(self, request):
        data = self.valid_data(CostCentreCreateSerializer)
        centre = create_catalogue_entry(company=self.caller.company, model=CostCentre, values={"name": data["name"]})
        return self._answer(centre, status.HTTP_201_CREATED)

    @extend_schema(request=CostCentreUpdateSerializer, responses={200: CostCentreSerializer})
    def partial_update(self, request, pk: str):
        centre = self.get_object()
        data = self.valid_data(CostCentreUpdateSerializer, instance=centre)
        changes = {"name": data["name"]} if data.get("name") is not None else {}
        update_catalogue_entry(entry=centre, changes=changes, archived=data.get("archive"))
        return self._answer(centre)

    @extend_schema(request=BulkArchiveSerializer, responses={200: BulkUpdateResultSerializer})
    @action(detail=False, methods=["patch"], url_path="bulk_update")
    def bulk_update(self, request):
        data = self.valid_data(BulkArchiveSerializer)
        count = archive_catalogue_entries(
            company=self.caller.company, model=CostCentre, ids=data["id_list"], archive=data["archive"]
        )
        return Response({"updated_count": count})

    @extend_schema(request=MembersSerializer, responses={200: CostCentreSerializer})
    @action(detail=True, methods=["put"])
    def users(self, request, pk: str):
        centre = self.get_object()
        data = self.valid_data(MembersSerializer)
        people = people_of_company(company=self.caller.company, ids=data["user_ids"], field="user_ids")
        replace_cost_centre_members(centre=centre, people=people)
        return self._answer(centre)
