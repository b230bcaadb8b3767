"""Old rows go in bounded batches (travelportal.retention), by daily tasks on the beat
schedule (issue 10, part 5)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from travelportal import retention

RETENTION_TASKS = {
    "provisioning.prune_provisioning_log",
    "approvals.prune_chain_outbox",
    "accounts.prune_sign_in_records",
}


def ids_per_delete(queries, table: str) -> list[int]:
    """For each DELETE from ``table`` among the captured queries, how many ids it names."""
    counts = []
    for query in queries:
        sql = query["sql"]
        if not sql.startswith("DELETE") or f'"{table}"' not in sql.split("WHERE")[0]:
            continue
        match = re.search(r" IN \(([^()]*)\)", sql)
        assert match, f"a DELETE not by ids: {sql[:300]}"
        counts.append(len(match.group(1).split(",")))
    return counts


@pytest.fixture
def log_entries(company):
    from travelportal.provisioning.models import ProvisioningLogEntry

    def make(count: int, *, age: timedelta) -> None:
        at = timezone.now() - age
        ProvisioningLogEntry.objects.bulk_create(
            [ProvisioningLogEntry(company=company, created_at=at, operation="create") for _ in range(count)]
        )

    return make


@pytest.mark.django_db
def test_every_row_goes_in_deletes_of_at_most_the_batch_size(log_entries, monkeypatch):
    from travelportal.provisioning.models import ProvisioningLogEntry

    monkeypatch.setattr(retention, "BATCH_SIZE", 3)
    log_entries(8, age=timedelta(days=1))

    with CaptureQueriesContext(connection) as queries:
        deleted = retention.delete_in_batches(ProvisioningLogEntry.objects.all())

    assert deleted == 8
    assert not ProvisioningLogEntry.objects.exists()
    assert ids_per_delete(queries.captured_queries, "provisioning_provisioninglogentry") == [3, 3, 2]


@pytest.mark.django_db
def test_a_batch_holds_five_thousand_ids(log_entries):
    from travelportal.provisioning.models import ProvisioningLogEntry

    log_entries(5001, age=timedelta(days=1))

    with CaptureQueriesContext(connection) as queries:
        deleted = retention.delete_in_batches(ProvisioningLogEntry.objects.all())

    assert deleted == 5001
    assert ids_per_delete(queries.captured_queries, "provisioning_provisioninglogentry") == [5000, 1]


@pytest.mark.django_db
def test_nothing_to_delete_costs_one_query(company):
    from travelportal.provisioning.models import ProvisioningLogEntry

    with CaptureQueriesContext(connection) as queries:
        assert retention.delete_in_batches(ProvisioningLogEntry.objects.all()) == 0

    assert len(queries.captured_queries) == 1


def test_the_retention_tasks_run_daily_and_exist():
    from django.conf import settings

    from travelportal.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {scheduled[name] for name in RETENTION_TASKS} == {24 * 3600.0}
    assert set(app.tasks) >= RETENTION_TASKS
