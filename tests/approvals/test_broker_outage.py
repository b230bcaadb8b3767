"""While Redis is unreachable a SCIM write stays fast: the broker publish gives up within
about 100 ms, the change waits in the outbox, and the failure is logged once a minute
(the fault suite in tests/faults/ stops a real Redis)."""

from __future__ import annotations

import logging
import socket
import time
from functools import partial

import pytest

from approvals import tasks
from approvals.models import PendingChainChange, ScheduledRebuild
from approvals.services import outbox
from approvals.services.outbox import RateLimitedWarning
from tests.approvals.test_outbox import provision
from travelportal.celery import app as celery_app

PUBLISH_BOUND = 0.5


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (the connection is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker_down(monkeypatch, closed_port):
    """The rebuild task publishes through the portal's real Celery settings to a Redis
    that is not there (never to the machine's shared one)."""
    celery_app.conf.task_always_eager = False  # the autouse fixture restores it
    connection = celery_app.connection_for_write(f"redis://127.0.0.1:{closed_port}/0")
    producer = connection.Producer()
    monkeypatch.setattr(
        tasks.process_chain_changes, "apply_async", partial(tasks.process_chain_changes.apply_async, producer=producer)
    )
    monkeypatch.setattr(outbox, "_enqueue_failed", RateLimitedWarning(outbox.logger))
    yield
    connection.release()


@pytest.mark.django_db
def test_a_publish_to_an_unreachable_broker_gives_up_at_once(broker_down):
    started = time.perf_counter()
    with pytest.raises(Exception, match=r"111|refused"):
        tasks.process_chain_changes.apply_async(args=[1], countdown=1, retry=False)

    assert time.perf_counter() - started < PUBLISH_BOUND


@pytest.mark.django_db
def test_scim_writes_stay_fast_and_keep_their_changes_while_the_broker_is_down(
    automated, broker_down, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.WARNING, logger="approvals.services.outbox")
    durations = []
    for n in range(3):
        started = time.perf_counter()
        provision(automated, django_capture_on_commit_callbacks, username=f"p{n}@acme.example")
        durations.append(time.perf_counter() - started)

    assert max(durations) < PUBLISH_BOUND, durations
    assert PendingChainChange.objects.count() == 3
    # No marker left claiming a task is queued: the next change tries the broker again.
    assert not ScheduledRebuild.objects.exists()
    warnings = [r for r in caplog.records if "Could not enqueue" in r.getMessage()]
    assert len(warnings) == 1
    assert f"company {automated.pk}" in warnings[0].getMessage()


def test_the_rate_limited_warning_logs_once_per_interval_and_counts_the_rest(monkeypatch, caplog):
    now = [1000.0]
    monkeypatch.setattr(outbox.time, "monotonic", lambda: now[0])
    log = logging.getLogger("tests.rate_limited")
    warn = RateLimitedWarning(log, interval=60.0)

    with caplog.at_level(logging.WARNING, logger="tests.rate_limited"):
        assert warn("broker down for company %s", 1) is True
        assert [warn("broker down for company %s", n) for n in range(5)] == [False] * 5
        now[0] += 59.9
        assert warn("broker down for company %s", 2) is False
        now[0] += 0.2
        assert warn("broker down for company %s", 3) is True

    assert [r.getMessage() for r in caplog.records] == [
        "broker down for company 1",
        "broker down for company 3 (6 more like this in the last 60 s were not logged)",
    ]
