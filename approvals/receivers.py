"""Receivers of the people domain's signals (connected in ApprovalsConfig.ready())."""

from __future__ import annotations

from approvals.services.outbox import record_people_changes


def people_changed(sender, *, company_id: int, user_ids, **kwargs) -> None:
    """Provisioning changed people: note it in the outbox, in the same transaction.
    Support staff belong to no company and are in no approval chain."""
    if company_id is None:
        return
    record_people_changes(company_id=company_id, user_ids=list(user_ids))
