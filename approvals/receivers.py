"""Receivers of the people domain's signals (connected in ApprovalsConfig.ready())."""

from __future__ import annotations

from approvals.services.manual_processes import remove_deleted_group
from approvals.services.outbox import record_people_changes


def people_changed(sender, *, company_id: int, user_ids, **kwargs) -> None:
    """Provisioning changed people: note it in the outbox, in the same transaction.
    Support staff belong to no company and are in no approval chain."""
    if company_id is None:
        return
    record_people_changes(company_id=company_id, user_ids=list(user_ids))


def group_deleted(sender, *, group, **kwargs) -> None:
    """A group is being deleted: the processes that name it let go of it, and a manual
    process left with no requesters is marked inactive."""
    remove_deleted_group(group=group)
