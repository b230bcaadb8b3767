"""Provisioning log entries are kept PROVISIONING_LOG_RETENTION_DAYS (issue 10, part 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.foundation.test_retention import ids_per_delete
from travelportal import retention

pytestmark = pytest.mark.django_db

TABLE = "provisioning_provisioninglogentry"


def entry(company, *, days_old: float, user_name: str = ""):
    from travelportal.provisioning.models import ProvisioningLogEntry

    return ProvisioningLogEntry.objects.create(
        company=company,
        created_at=timezone.now() - timedelta(days=days_old),
        operation="create",
        user_name=user_name,
    )


def remaining() -> set[str]:
    from travelportal.provisioning.models import ProvisioningLogEntry

    return set(ProvisioningLogEntry.objects.values_list("user_name", flat=True))


def test_the_daily_task_deletes_entries_older_than_ninety_days_of_every_company(company, other_company):
    from travelportal.provisioning.tasks import prune_provisioning_log

    entry(company, days_old=91, user_name="acme-old")
    entry(company, days_old=89, user_name="acme-recent")
    entry(other_company, days_old=400, user_name="globex-old")
    entry(other_company, days_old=0, user_name="globex-today")

    assert prune_provisioning_log.delay().get() == 2

    assert remaining() == {"acme-recent", "globex-today"}


def test_the_retention_comes_from_settings(company, settings):
    from travelportal.provisioning.tasks import prune_provisioning_log

    settings.PROVISIONING_LOG_RETENTION_DAYS = 7
    entry(company, days_old=8, user_name="old")
    entry(company, days_old=6, user_name="kept")

    prune_provisioning_log()

    assert remaining() == {"kept"}


def test_pruning_deletes_in_bounded_batches_and_leaves_the_rest(company, monkeypatch):
    from travelportal.provisioning.services import prune_provisioning_log

    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    for i in range(5):
        entry(company, days_old=100 + i, user_name=f"old-{i}")
    entry(company, days_old=1, user_name="kept")

    with CaptureQueriesContext(connection) as queries:
        deleted = prune_provisioning_log(older_than=timezone.now() - timedelta(days=90))

    assert deleted == 5
    assert ids_per_delete(queries.captured_queries, TABLE) == [2, 2, 1]
    assert remaining() == {"kept"}


def test_pruning_twice_deletes_nothing_more(company):
    from travelportal.provisioning.services import prune_provisioning_log

    entry(company, days_old=100)
    cutoff = timezone.now() - timedelta(days=90)

    assert prune_provisioning_log(older_than=cutoff) == 1
    assert prune_provisioning_log(older_than=cutoff) == 0
