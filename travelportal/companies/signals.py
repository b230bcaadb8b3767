"""Signals the people domain sends; receivers are connected in AppConfig.ready()."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after people of one company were created, updated, deactivated, reactivated or
# deleted in a way that can change approval chains (manager, active, deleted, created).
# kwargs: company_id: int, user_ids: list[UUID]. Sent inside the writing transaction;
# receivers that enqueue work must do so on commit.
people_changed = Signal()
