"""Metrics the approvals domain reports: how long chain rebuilds take, and the rebuild
outbox's depth and the age of its oldest change, read from the table at scrape time so
they are right whichever process wrote. Registered with prometheus_client's default
registry on import; ``travelportal.operations.metrics`` exposes them at ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone
from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from approvals.services.outbox_state import outbox_state

CHAIN_REBUILD_SECONDS = Histogram(
    "travelportal_chain_rebuild_duration_seconds",
    "Time one rebuild of a company's approval chains took, by scope (people: the changed people; full).",
    ["scope"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)


def observe_chain_rebuild(*, seconds: float, full: bool) -> None:
    CHAIN_REBUILD_SECONDS.labels("full" if full else "people").observe(seconds)


class ChainOutboxCollector(Collector):
    """The approval rebuild outbox's depth and the age of its oldest change, read at
    scrape time (one aggregate query over a table that is normally near empty)."""

    def collect(self) -> Iterator[Metric]:
        outbox = outbox_state()
        age = (timezone.now() - outbox.oldest).total_seconds() if outbox.oldest else 0.0
        yield GaugeMetricFamily(
            "travelportal_chain_outbox_waiting_changes",
            "People changes waiting in the approval rebuild outbox.",
            value=outbox.waiting,
        )
        yield GaugeMetricFamily(
            "travelportal_chain_outbox_oldest_age_seconds",
            "Age of the oldest change waiting in the approval rebuild outbox (0 when empty).",
            value=age,
        )
