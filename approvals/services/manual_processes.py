"""Manual and default approval processes, edited by company admins and never touched by
automation, and what a deleted group leaves of the manual processes that named it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from approvals.models import ApprovalProcess, ApprovalStep
from approvals.services.routing import sync_pending_trips
from travelportal.companies.models import Company, Group, User


def save_process(
    *,
    company: Company,
    name: str,
    kind: str,
    requesters: Iterable[User],
    steps: Sequence[Iterable[User]],
    requester_groups: Iterable[Group] = (),
    process: ApprovalProcess | None = None,
) -> ApprovalProcess:
    """Create or update a manual process or the company's default process.

    Every step needs at least one active approver of the company; a manual process's
    requesters are people and groups of the company (everyone in a group is one while
    they are in it), and saving it with requesters makes it active again. Automatic
    processes are read-only here (automation owns them)."""
    requesters = list(requesters)
    requester_groups = list(requester_groups)
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
    if any(group.company_id != company.pk for group in requester_groups):
        errors["requester_groups"] = "Requester groups must be groups of the company."
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
    is_default = kind == ApprovalProcess.Kind.DEFAULT
    with transaction.atomic():
        # Groups first (those it names now and those it will), then the process: the order
        # delete_group takes them in, so a group deleted meanwhile is waited for and then
        # seen gone, instead of the two deadlocking.
        named_now = [] if process is None else list(process.requester_groups.values_list("pk", flat=True))
        kept = set(
            Group.objects.select_for_update(no_key=True)
            .filter(pk__in={*named_now, *(g.pk for g in requester_groups)})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        gone = [str(g) for g in requester_groups if g.pk not in kept]
        if gone:
            raise ValidationError({"requester_groups": f"This group was deleted meanwhile: {', '.join(gone)}."})
        if process is None:
            process = ApprovalProcess.objects.create(company=company, kind=kind, name=name.strip())
        else:
            process.name = name.strip()
            process.kind = kind
            process.is_active = True
            process.save(update_fields=["name", "kind", "is_active", "updated_at"])
            process.steps.all().delete()
        # The default process applies to everyone without another process: no requesters.
        process.requesters.set([] if is_default else requesters)
        process.requester_groups.set([] if is_default else requester_groups)
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


def remove_deleted_group(*, group: Group) -> list[ApprovalProcess]:
    """Take a group that is being deleted out of the processes that name it, and mark a
    manual process left with no requesters (no person, no other group) inactive: it is
    kept for an admin to see and fix, and applies to nobody. Returns the processes
    deactivated.

    Runs inside the group's deletion, with the group's row locked, and locks the processes
    before their rows of the group: the order ``save_process`` takes them in. Its members'
    trips move with the coalesced rebuild their leaving the group already asked for."""
    through = ApprovalProcess.requester_groups.through
    # The processes before their rows of the group, as save_process takes them.
    naming = ApprovalProcess.objects.filter(pk__in=through.objects.filter(group=group).values("approvalprocess_id"))
    process_ids = list(naming.select_for_update().order_by("pk").values_list("pk", flat=True))
    if not process_ids:
        return []
    through.objects.filter(group=group).delete()
    left_empty = (
        ApprovalProcess.objects.filter(pk__in=process_ids, kind=ApprovalProcess.Kind.MANUAL, is_active=True)
        .exclude(Exists(ApprovalProcess.requesters.through.objects.filter(approvalprocess_id=OuterRef("pk"))))
        .exclude(Exists(through.objects.filter(approvalprocess_id=OuterRef("pk"))))
        .order_by("pk")
    )
    deactivated = list(left_empty)
    now = timezone.now()
    ApprovalProcess.objects.filter(pk__in=[p.pk for p in deactivated]).update(is_active=False, updated_at=now)
    for process in deactivated:
        process.is_active = False
    return deactivated
