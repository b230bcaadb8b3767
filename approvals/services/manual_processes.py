"""Manual and default approval processes, edited by company admins and never touched by
automation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from approvals.models import ApprovalProcess, ApprovalStep
from approvals.services.routing import sync_pending_trips
from travelportal.companies.models import Company, User


def save_process(
    *,
    company: Company,
    name: str,
    kind: str,
    requesters: Iterable[User],
    steps: Sequence[Iterable[User]],
    process: ApprovalProcess | None = None,
) -> ApprovalProcess:
    """Create or update a manual process or the company's default process.

    Every step needs at least one active approver of the company; automatic processes
    are read-only here (automation owns them)."""
    requesters = list(requesters)
    steps = [list(step) for step in steps]
    errors: dict[str, str] = {}
    if process is not None and (process.company_id != company.pk or process.is_automatic):
        raise ValidationError("Automatic processes are maintained from the identity provider and can't be edited.")
    if kind not in (ApprovalProcess.Kind.MANUAL, ApprovalProcess.Kind.DEFAULT):
        errors["kind"] = "Choose manual or default."
    if not name.strip():
        errors["name"] = "Give the process a name."
    if not steps or any(not step for step in steps):
        errors["steps"] = "Every step needs at least one approver."
    people = [*requesters, *(u for step in steps for u in step)]
    if any(u.company_id != company.pk or u.is_deleted for u in people):
        errors["requesters"] = "Requesters and approvers must be people of the company."
    if (
        kind == ApprovalProcess.Kind.DEFAULT
        and ApprovalProcess.objects.for_company(company)
        .filter(kind=ApprovalProcess.Kind.DEFAULT)
        .exclude(pk=getattr(process, "pk", None))
        .exists()
    ):
        errors["kind"] = "The company already has a default process."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if process is None:
            process = ApprovalProcess.objects.create(company=company, kind=kind, name=name.strip())
        else:
            process.name = name.strip()
            process.kind = kind
            process.save(update_fields=["name", "kind", "updated_at"])
            process.steps.all().delete()
        # The default process applies to everyone without another process: no requesters.
        process.requesters.set([] if kind == ApprovalProcess.Kind.DEFAULT else requesters)
        for position, approvers in enumerate(steps, start=1):
            step = ApprovalStep.objects.create(process=process, position=position)
            step.approvers.set(approvers)
        sync_pending_trips(company=company)
    return process


def delete_process(*, process: ApprovalProcess) -> None:
    """Delete a manual or default process; its pending trips move to whatever applies now."""
    if process.is_automatic:
        raise ValidationError("Automatic processes are maintained from the identity provider and can't be deleted.")
    with transaction.atomic():
        company = process.company
        process.delete()
        sync_pending_trips(company=company)
