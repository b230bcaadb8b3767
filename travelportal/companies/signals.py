"""Signals the people and catalogue domain sends, and the one function every writer of a
person (``report_person_changes``) or of a catalogue entry (``report_catalogue_changes``)
calls to send them; receivers are connected in AppConfig.ready(). Packages above
companies (approvals, webhooks, sign-in) listen; companies knows none of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.dispatch import Signal

# Sent after people of one company changed in a way that can change approval chains.
# kwargs: company_id: int, user_ids: list[UUID], and access_changed: list[UUID], those of
# them whose is_active or deleted_at changed (sign-in ends their sessions; nobody else
# need be read). Sent inside the writing transaction; receivers that enqueue work must
# do so on commit.
people_changed = Signal()

# Sent after catalogue entries (cost centres, invoice profiles, travel policies) of one
# company were created or changed, by every writer, bulk writes included.
# kwargs: company_id: int, model: the entries' model, created: list[int], changed: list[int]
# (their ids). Sent inside the writing transaction.
catalogue_changed = Signal()

# Sent when a group is about to be deleted, inside the deleting transaction with the
# group's row locked and while what names it (approval processes) can still see it.
# kwargs: group: Group. Whoever names groups lets go of it here; companies doesn't know who.
group_deleted = Signal()

# The person fields approval chains depend on: who reports to whom (manager), who is
# there to approve (is_active, deleted_at), who the company's admins are (role), since
# admins take the steps nobody else can, and which groups they are in (groups), since
# groups can be the requesters of a process. A created person is always a chain change.
CHAIN_FIELDS: frozenset[str] = frozenset({"manager", "is_active", "deleted_at", "role", "groups"})


# The fields that end or restore a person's access (a person just created has no session).
ACCESS_FIELDS: frozenset[str] = frozenset({"is_active", "deleted_at"})


def report_person_changes(*, company_id: int | None, changes: Mapping[Any, Iterable[str] | None]) -> list:
    """Tell approvals (and sign-in) which of these people changed in a way that matters.

    Every writer of a person calls this (SCIM, Company Settings, Django admin, management
    commands) with, per person id, the model fields it changed, or ``None`` for a person
    just created; what rebuilds chains is decided here, from ``CHAIN_FIELDS``, and nowhere
    else. One signal carries everyone of one write. Support staff (no company) are in no
    chain. Returns the ids the signal was sent for."""
    ids = [user_id for user_id, fields in changes.items() if fields is None or not CHAIN_FIELDS.isdisjoint(fields)]
    if company_id is None or not ids:
        return []
    access_changed = [
        user_id for user_id in ids if changes[user_id] is not None and not ACCESS_FIELDS.isdisjoint(changes[user_id])
    ]
    people_changed.send(
        sender=report_person_changes, company_id=company_id, user_ids=ids, access_changed=access_changed
    )
    return ids


def report_catalogue_changes(
    *, company_id: int, model: type, created: Iterable[int] = (), changed: Iterable[int] = ()
) -> None:
    """Tell the packages that listen (webhooks) which catalogue entries of ``model`` one
    write created and changed. Every writer of an entry calls it, a bulk ``update()``
    included, since no ``post_save`` is sent for those rows; nothing is sent when the
    write changed nothing."""
    created, changed = list(created), list(changed)
    if created or changed:
        catalogue_changed.send(
            sender=report_catalogue_changes, company_id=company_id, model=model, created=created, changed=changed
        )
