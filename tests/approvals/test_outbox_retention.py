"""Outbox leftovers and stale schedule markers are cleared after a day (issue 10, part 5).

Processed changes are deleted by the rebuild that takes them; what this clears is what a
rebuild that kept failing, or a lost task, left behind."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.foundation.test_retention import ids_per_delete
from travelportal import retention

pytestmark = pytest.mark.django_db


def change(company, *, hours_old: float):
    from approvals.models import PendingChainChange

    row = PendingChainChange.objects.create(company=company, user_id=uuid.uuid4())
    PendingChainChange.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(hours=hours_old))
    return row


def marker(company, *, hours_old: float):
    from approvals.models import ScheduledRebuild

    return ScheduledRebuild.objects.create(company=company, scheduled_at=timezone.now() - timedelta(hours=hours_old))


def test_the_daily_task_clears_changes_and_markers_older_than_a_day(company, other_company, caplog):
    from approvals.models import PendingChainChange, ScheduledRebuild
    from approvals.tasks import prune_chain_outbox

    stuck = change(company, hours_old=30)
    waiting = change(company, hours_old=1)
    other_waiting = change(other_company, hours_old=0)
    marker(company, hours_old=48)
    fresh_marker = marker(other_company, hours_old=0.01)

    with caplog.at_level(logging.WARNING, logger="approvals.services.outbox_retention"):
        result = prune_chain_outbox()

    assert result == {"changes": 1, "markers": 1}
    assert set(PendingChainChange.objects.values_list("pk", flat=True)) == {waiting.pk, other_waiting.pk}
    assert not PendingChainChange.objects.filter(pk=stuck.pk).exists()
    assert list(ScheduledRebuild.objects.values_list("pk", flat=True)) == [fresh_marker.pk]
    assert "Deleted 1 approval-chain changes that waited since before" in caplog.text


def test_nothing_is_logged_when_only_markers_went(company, caplog):
    from approvals.services.outbox_retention import prune_chain_outbox

    marker(company, hours_old=30)

    with caplog.at_level(logging.WARNING, logger="approvals.services.outbox_retention"):
        pruned = prune_chain_outbox(older_than=timezone.now() - timedelta(days=1))

    assert (pruned.changes, pruned.markers) == (0, 1)
    assert caplog.text == ""


def test_leftovers_go_in_bounded_batches(company, monkeypatch):
    from approvals.models import PendingChainChange
    from approvals.services.outbox_retention import prune_chain_outbox

    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    for _ in range(5):
        change(company, hours_old=25)

    with CaptureQueriesContext(connection) as queries:
        pruned = prune_chain_outbox(older_than=timezone.now() - timedelta(days=1))

    assert pruned.changes == 5
    assert ids_per_delete(queries.captured_queries, "approvals_pendingchainchange") == [2, 2, 1]
    assert not PendingChainChange.objects.exists()


def test_the_hourly_repair_still_empties_the_outbox_as_before(company):
    # Guards the module's premise: what the daily task clears, the repair would have too.
    from approvals.models import PendingChainChange
    from approvals.services.chain_rebuilds import repair_approval_processes

    change(company, hours_old=30)

    repair_approval_processes(company=company)

    assert not PendingChainChange.objects.exists()
