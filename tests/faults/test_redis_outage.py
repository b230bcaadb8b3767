"""Redis stopped during provisioning and started again: SCIM writes stay fast and succeed
(the broker publish gives up at once, the outbox keeps the change), the failure is
logged once a minute per web process, and after Redis is back the approval chains
complete with no manual step (the sweep, run by beat, takes the outbox)."""

from __future__ import annotations

import time

import pytest

from .conftest import ENTERPRISE, PATCH_OP, record_figures, wait_until

pytestmark = pytest.mark.faults

WRITE_BOUND = 0.5
CATCH_UP_BOUND = 60.0
ENQUEUE_FAILED = "Could not enqueue the approval chain rebuild"


def _id(reply) -> str:
    assert reply.status == 201, (reply.status, reply.body[:300])
    return reply.json["id"]


def test_scim_writes_stay_fast_while_redis_is_down_and_chains_complete_after(healthy, capsys):
    stack = healthy
    tag = time.monotonic_ns()
    # The pipeline works before the outage: a chain is built through the worker.
    boss = _id(stack.create_user(f"boss-{tag}@faults.example"))
    first = _id(stack.create_user(f"first-{tag}@faults.example", manager=boss))
    baseline = [stack.create_user(f"baseline-{tag}-{n}@faults.example", manager=boss) for n in range(5)]
    before = {first} | {_id(r) for r in baseline}
    wait_until(lambda: stack.requesters_of(boss) == before, timeout=30, interval=0.3, what="the chain before")
    warnings_before = stack.log("gunicorn").read_text(errors="replace").count(ENQUEUE_FAILED)

    stack.stop_redis()
    down_at = time.monotonic()
    writes = []
    second_boss = stack.create_user(f"boss2-{tag}@faults.example")
    writes.append(second_boss)
    boss2 = _id(second_boss)
    reports = {boss: set(), boss2: set()}
    for n in range(10):
        manager = boss if n % 2 else boss2
        reply = stack.create_user(f"report-{tag}-{n}@faults.example", manager=manager)
        writes.append(reply)
        reports[manager].add(_id(reply))
    moved = stack.scim(
        "PATCH", f"Users/{first}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": f"{ENTERPRISE}:manager", "value": boss2}]},
    )  # fmt: skip
    writes.append(moved)
    assert moved.status == 200, moved.body[:300]
    reports[boss2].add(first)
    # Long enough for beat's sweep to fail once too.
    time.sleep(max(0.0, 10 - (time.monotonic() - down_at)))
    outbox_during = stack.outbox_size()
    stack.start_redis()
    up_at = time.monotonic()

    assert all(w.status in (200, 201) for w in writes), [(w.status, w.body[:200]) for w in writes]
    slowest = max(w.elapsed for w in writes)
    timings = {"before": [round(r.elapsed, 3) for r in baseline], "during": [round(w.elapsed, 3) for w in writes]}
    assert slowest < WRITE_BOUND, timings
    assert outbox_during > 0, "the outbox should hold the changes while the broker is down"

    reports[boss] |= before - {first}

    def complete():
        return stack.outbox_size() == 0 and all(stack.requesters_of(m) == r for m, r in reports.items())

    try:
        wait_until(complete, timeout=CATCH_UP_BOUND, interval=0.5, what="the chains after Redis came back")
    except AssertionError as exc:
        state = {
            "outbox": stack.sql("SELECT company_id, user_id, created_at FROM approvals_pendingchainchange"),
            "markers": stack.sql("SELECT company_id, scheduled_at FROM approvals_scheduledrebuild"),
            "requesters": {m: stack.requesters_of(m) for m in reports},
            "expected": reports,
        }
        raise AssertionError(f"{exc}: {state}") from None
    caught_up = time.monotonic() - up_at

    # One warning per web process (2) for the whole outage, not one per write.
    warnings = stack.log("gunicorn").read_text(errors="replace").count(ENQUEUE_FAILED) - warnings_before
    assert 1 <= warnings <= 2, warnings

    mean = sum(w.elapsed for w in writes) / len(writes)
    record_figures(
        capsys,
        f"Redis stopped for {up_at - down_at:.1f} s during provisioning, then started",
        f"{len(writes)} SCIM writes (11 POST, 1 PATCH) all 201/200, mean {mean * 1000:.0f} ms (before the "
        f"outage {sum(r.elapsed for r in baseline) / len(baseline) * 1000:.0f} ms), slowest "
        f"{slowest * 1000:.0f} ms; {outbox_during} changes waited in the outbox; the enqueue failure logged "
        f"{warnings} time(s) (once a minute per web process)",
        f"chains of both managers complete and the outbox empty {caught_up:.1f} s after Redis came back, "
        "no manual step (worker reconnect + beat's 10 s sweep)",
    )
