"""A burst over one company's rate limit from 16 clients at once: some requests get 429
with a SCIM error body and Retry-After, the rest succeed, and another company sending at
the same time is not affected (the bucket is per company, kept in Redis for every web
process)."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from .conftest import ERROR, record_figures

pytestmark = pytest.mark.faults

CLIENTS = 16
REQUESTS_EACH = 6
PER_SECOND, BURST = 5, 10


def test_a_burst_over_one_companys_limit_gets_429s_and_leaves_another_company_alone(healthy, capsys):
    stack = healthy
    # Support staff's per-company limit (Django admin), low for this company only.
    stack.sql(
        "UPDATE companies_company SET rate_limit_per_second = %s, rate_limit_burst = %s WHERE slug = 'burst'",
        (PER_SECOND, BURST),
    )
    burst, other = [], []
    lock = threading.Lock()
    go = threading.Event()

    def client(company: str, sink: list, count: int) -> None:
        go.wait(timeout=10)
        for _ in range(count):
            reply = stack.scim("GET", "Users?count=1", company=company)
            with lock:
                sink.append(reply)

    threads = [threading.Thread(target=client, args=("burst", burst, REQUESTS_EACH)) for _ in range(CLIENTS)]
    threads.append(threading.Thread(target=client, args=("other", other, 20)))
    for t in threads:
        t.start()
    started = time.monotonic()
    go.set()
    for t in threads:
        t.join(timeout=60)
    took = time.monotonic() - started

    statuses = Counter(r.status for r in burst)
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[429] >= 1 and statuses[200] >= 1, statuses
    # Never more than the burst plus what the bucket refilled while the burst lasted.
    assert statuses[200] <= BURST + PER_SECOND * (took + 1), (statuses, took)
    refused = [r for r in burst if r.status == 429]
    for reply in refused:
        assert reply.content_type.startswith("application/scim+json")
        body = reply.json
        assert body["schemas"] == [ERROR] and body["status"] == "429" and body["detail"]
        assert int(reply.headers["retry-after"]) >= 1
    assert [r.status for r in other] == [200] * 20

    record_figures(
        capsys,
        f"Burst of {CLIENTS * REQUESTS_EACH} requests from {CLIENTS} clients at once over a {PER_SECOND}/s "
        f"(burst {BURST}) company limit",
        f"{statuses[200]} answered 200, {statuses[429]} answered 429 + Retry-After "
        f"{sorted(Counter(r.headers['retry-after'] for r in refused).items())} + SCIM body (slowest 429 "
        f"{max(r.elapsed for r in refused) * 1000:.0f} ms); another company's 20 requests meanwhile all 200",
        f"the burst lasted {took:.1f} s; the limit refills at {PER_SECOND}/s, nothing to recover",
    )
