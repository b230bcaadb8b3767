"""The company's approval settings (Company Settings > SCIM > Approvals)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from approvals.models import ApprovalProcess, ApprovalStep
from approvals.services.outbox import request_full_rebuild
from travelportal.companies.models import Company


def update_approval_settings(
    *,
    company: Company,
    approvals_through_idp: bool,
    auto_approval_processes: bool,
    chain_depth: int,
    auto_process_trips: str,
    on_disable: str = "convert",
) -> Company:
    """Save the company's approval settings and schedule the rebuild they call for.

    Turning automation on keeps manual processes (they take precedence anyway). Turning
    it off either deletes the automatic processes (``on_disable="delete"``) or converts
    them to manual ones that admins can then edit (``"convert"``, the default)."""
    errors = {}
    if chain_depth not in (1, 2, 3):
        errors["chain_depth"] = "The chain depth must be 1, 2 or 3."
    if auto_process_trips not in Company.TripsRequiringApproval.values:
        errors["auto_process_trips"] = "Choose all trips or out-of-policy trips only."
    if on_disable not in ("delete", "convert"):
        errors["on_disable"] = "Choose whether to delete or convert the automatic processes."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        was_on = company.approvals_automated
        company.approvals_through_idp = approvals_through_idp
        company.auto_approval_processes = auto_approval_processes
        company.approval_chain_depth = chain_depth
        company.auto_process_trips = auto_process_trips
        company.save(
            update_fields=[
                "approvals_through_idp",
                "auto_approval_processes",
                "approval_chain_depth",
                "auto_process_trips",
            ]
        )
        if was_on and not company.approvals_automated:
            automatic = ApprovalProcess.objects.for_company(company).automatic()
            if on_disable == "delete":
                automatic.delete()
            else:
                ApprovalStep.objects.filter(process__in=automatic).update(fallback_to_admins=False)
                automatic.update(kind=ApprovalProcess.Kind.MANUAL, owner=None, updated_at=timezone.now())
        request_full_rebuild(company=company)
    return company


def configure_approvals(
    *,
    company: Company,
    automatic: bool | None = None,
    chain_depth: int | None = None,
    trips: str | None = None,
) -> list[str]:
    """Bring the company's approval settings to what is given (None leaves a setting as
    it is) and return the settings that changed; nothing changed, nothing is saved or
    rebuilt. ``automatic`` switches both approvals through the identity provider and
    automatic process creation (on) or automatic process creation (off, converting the
    automatic processes to manual ones, as Company Settings does by default)."""
    wanted = {
        "approvals_through_idp": company.approvals_through_idp if not automatic else True,
        "auto_approval_processes": company.auto_approval_processes if automatic is None else automatic,
        "approval_chain_depth": company.approval_chain_depth if chain_depth is None else chain_depth,
        "auto_process_trips": company.auto_process_trips if trips is None else trips,
    }
    changed = [name for name, value in wanted.items() if getattr(company, name) != value]
    if changed:
        update_approval_settings(
            company=company,
            approvals_through_idp=wanted["approvals_through_idp"],
            auto_approval_processes=wanted["auto_approval_processes"],
            chain_depth=wanted["approval_chain_depth"],
            auto_process_trips=wanted["auto_process_trips"],
        )
    return changed
