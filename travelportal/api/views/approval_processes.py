"""Approval processes (``/approval_processes``): every process is readable; manual and
default ones are written through ``approvals.services.manual_processes``, the same
functions the Company Settings pages call (automatic processes stay read-only)."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from approvals.models import ApprovalProcess, ApprovalStep
from approvals.services.manual_processes import delete_process, save_process
from travelportal.api.idempotency import idempotent
from travelportal.api.pagination import EnvelopePagination
from travelportal.api.people import people_of_company
from travelportal.api.serializers import ApprovalProcessSerializer, ApprovalProcessWriteSerializer
from travelportal.api.views.base import ApiViewSet

READ, WRITE = "approvals:read", "approvals:write"


class ApprovalProcessViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ApprovalProcessSerializer
    # For the schema generator only; requests use get_queryset, scoped to the company.
    queryset = ApprovalProcess.objects.none()
    pagination_class = EnvelopePagination.named("approval_processes")
    lookup_value_regex = r"\d{1,18}"
    change_field = "change_seq"
    required_scopes = {
        "list": READ,
        "retrieve": READ,
        "create": WRITE,
        "partial_update": WRITE,
        "destroy": WRITE,
    }

    def get_queryset(self):
        return (
            ApprovalProcess.objects.for_company(self.caller.company)
            .prefetch_related(
                "requesters", Prefetch("steps", queryset=ApprovalStep.objects.prefetch_related("approvers"))
            )
            .order_by("kind", "name", "id")
        )

    @extend_schema(request=ApprovalProcessWriteSerializer, responses={201: ApprovalProcessSerializer})
    @idempotent
    def create(self, request):
        data = self.valid_data(ApprovalProcessWriteSerializer)
        process = self._save(data, process=None)
        return Response(self._read(process), status=status.HTTP_201_CREATED)

    @extend_schema(request=ApprovalProcessWriteSerializer, responses={200: ApprovalProcessSerializer})
    def partial_update(self, request, pk: str):
        process = self.get_object()
        data = self.valid_data(ApprovalProcessWriteSerializer, partial=True)
        current = {
            "name": process.name,
            "kind": process.kind,
            "requester_ids": [u.pk for u in process.requesters.all()],
            "steps": [{"approver_ids": [u.pk for u in step.approvers.all()]} for step in process.steps.all()],
        }
        return Response(self._read(self._save({**current, **data}, process=process)))

    def destroy(self, request, pk: str):
        delete_process(process=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _save(self, data: dict, *, process: ApprovalProcess | None) -> ApprovalProcess:
        company = self.caller.company
        requesters = people_of_company(company=company, ids=data["requester_ids"], field="requester_ids")
        steps = [people_of_company(company=company, ids=s["approver_ids"], field="steps") for s in data["steps"]]
        return save_process(
            company=company, process=process, name=data["name"], kind=data["kind"], requesters=requesters, steps=steps
        )

    def _read(self, process: ApprovalProcess) -> dict:
        return ApprovalProcessSerializer(self.get_queryset().get(pk=process.pk)).data
